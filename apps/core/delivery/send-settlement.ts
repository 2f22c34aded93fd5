import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { contactSends } from "../../../db/schema/index";

/** How a reserved send ended: accepted by the transport (with its Message-ID), or failed for good. */
export type SendResult = { status: "sent"; messageId?: string } | { status: "failed"; reason: string };

/**
 * A reservation's settlement (pending → sent or failed) as a write to hold in a WriteBatch, saved
 * with the touch's own settlement.
 */
export function settleSendWrite(db: Db, id: string, result: SendResult) {
  return db
    .update(contactSends)
    .set(
      result.status === "sent"
        ? { status: "sent" as const, messageId: result.messageId ?? null }
        : { status: "failed", reason: result.reason },
    )
    .where(eq(contactSends.id, id));
}
