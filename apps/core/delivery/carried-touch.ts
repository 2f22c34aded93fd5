import type { Services } from "../shared/services";
import type { TemplateCopy } from "../templates/message-templates";
import type { Decision } from "./decide";
import type { MessageSubject } from "./message-context";
import type { Sender } from "./sender";
import type { TouchRow } from "./touch-record";
import type { WriteBatch } from "./write-batch";

/** What delivering needs: the database, the mail transport or outbox, the templates, links' base URL. */
export type DeliveryDeps = Pick<
  Services,
  "db" | "outboxDir" | "fileTemplates" | "renderer" | "publicUrl" | "transport" | "clock" | "outbound"
> &
  Partial<Pick<Services, "log" | "metrics">>;

export type TouchRequest = {
  workspaceId: string;
  enrollmentId: string;
  journeyName: string;
  touchKey: string;
  stepId: string;
  channel: "email" | "in_app";
  template: string;
  to: string;
  at: string;
  /** The activity attempt: a transient SMTP failure is retried until SMTP_ATTEMPTS, then recorded. */
  attempt?: number;
  /** The attempt is the heartbeated activity's: it takes over lower attempts' reservations at once. */
  heartbeated?: boolean;
  /** How long to wait for contacts that do not exist yet (recipient-wait.ts); unset: 24 h. */
  waitForRecipients?: string;
};

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
