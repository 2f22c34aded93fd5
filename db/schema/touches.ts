import { index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { enrollments } from "./enrollments";
import { workspaces } from "./workspaces";

export const touchStatuses = ["pending", "sent", "held", "skipped", "failed"] as const;

/**
 * Every touch a journey sent or decided not to send. The unique (enrollment, touch key) row is the
 * idempotency record: a retried activity or a replayed workflow finds it and never sends twice.
 */
export const touches = pgTable(
  "touches",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    enrollmentId: uuid("enrollment_id")
      .notNull()
      .references(() => enrollments.id, { onDelete: "cascade" }),
    touchKey: text("touch_key").notNull(),
    stepId: text("step_id").notNull(),
    channel: text("channel", { enum: ["email", "in_app", "notification", "webhook"] }).notNull(),
    template: text("template").notNull(),
    recipient: text("recipient").notNull(),
    status: text("status", { enum: touchStatuses }).notNull().default("pending"),
    reason: text("reason"),
    /** Where the message went: Message-IDs and outbox files, or the in-app message ids. */
    delivery: jsonb("delivery").$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("touches_enrollment_key").on(t.enrollmentId, t.touchKey),
    index("touches_workspace_created_idx").on(t.workspaceId, t.createdAt),
  ],
);
