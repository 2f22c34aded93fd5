import type { TemplateCopy } from "../templates/message-templates";
import type { Decision } from "./decide";
import type { DeliveryDeps, TouchRequest } from "./deliver-touch";
import type { MessageSubject } from "./message-context";
import type { Sender } from "./sender";
import type { TouchRow } from "./touch-record";
import type { WriteBatch } from "./write-batch";

/** One touch being carried out: what each of its messages shares. */
export type Touch = {
  deps: DeliveryDeps;
  req: TouchRequest;
  row: TouchRow;
  /** This attempt created the touch row: no earlier attempt reached anyone. */
  fresh: boolean;
  /** The touch's settlements, held for the transition's one write; flushed before a message leaves. */
  writes: WriteBatch;
  copy: TemplateCopy;
  sender: Sender;
  secret: string;
  about: MessageSubject;
};

/** What one message did: to whom, sent or failed, its Message-ID and outbox file. */
export type Delivered = Record<string, unknown>;

/** For one recipient: the arbiter's decision (none when the send failed), and the delivery tried. */
export type Reached = { decision?: Decision; delivered?: Delivered };

export function headersOf(req: TouchRequest): Record<string, string> {
  return { "X-Volante-Enrollment": req.enrollmentId, "X-Volante-Touch": req.touchKey };
}

/** The outbox file name of one message: the same on every attempt. */
export function fileOf(req: TouchRequest, suffix: string): string {
  return `${req.enrollmentId}-${req.touchKey}-${suffix}`;
}
