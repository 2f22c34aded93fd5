import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { workspaces } from "../../db/schema";

export const Settings = z
  .strictObject({
    notifications: z
      .strictObject({
        webhookUrl: z
          .url({ protocol: /^https?$/ })
          .nullable()
          .default(null)
          .openapi({
            description:
              "Slack-compatible incoming webhook: escalations (opened, reminder, SLA breach) and health alerts",
            example: "https://hooks.slack.com/services/T000/B000/XXXX",
          }),
        managerEmail: z
          .email()
          .nullable()
          .default(null)
          .openapi({ description: "Told when an escalation misses its SLA" }),
      })
      .prefault({}),
  })
  .openapi("Settings");
export type Settings = z.infer<typeof Settings>;

/** The workspace's settings with every default filled in. */
export async function getSettings(db: Db, workspaceId: string): Promise<Settings> {
  const [row] = await db
    .select({ settings: workspaces.settings })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId));
  // Stored settings were validated on the way in; parsing again fills defaults added since.
  return Settings.parse(row?.settings ?? {});
}

export async function saveSettings(db: Db, workspaceId: string, settings: Settings): Promise<Settings> {
  await db.update(workspaces).set({ settings, updatedAt: new Date() }).where(eq(workspaces.id, workspaceId));
  return settings;
}
