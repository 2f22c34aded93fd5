import { eq, max } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { templates } from "../../../db/schema/index";

/** When the workspace last changed each of its own templates (any locale); shipped ones are absent. */
export async function templatesLastChanged(db: Db, workspaceId: string): Promise<Map<string, Date>> {
  const rows = await db
    .select({ key: templates.key, at: max(templates.updatedAt) })
    .from(templates)
    .where(eq(templates.workspaceId, workspaceId))
    .groupBy(templates.key);
  return new Map(rows.flatMap((r) => (r.at ? [[r.key, r.at] as const] : [])));
}
