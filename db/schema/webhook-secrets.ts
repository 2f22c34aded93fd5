import { isNull } from "drizzle-orm";
import { pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { workspaces } from "./workspaces";

/**
 * The secrets a workspace's webhooks are signed with (Standard Webhooks, `whsec_…`). One is current
 * (`retires_at` null); a rotated one keeps signing beside it until `retires_at`, so receivers can
 * switch over without dropping a message.
 */
export const webhookSecrets = pgTable(
  "webhook_secrets",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    secret: text("secret").notNull(),
    retiresAt: timestamp("retires_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [uniqueIndex("webhook_secrets_current").on(t.workspaceId).where(isNull(t.retiresAt))],
);
