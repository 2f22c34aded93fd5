import { and, eq, sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../db/client";
import { accounts, enrollments, journeys, workspaces } from "../../../db/schema/index";
import type { Logger } from "../../logger";
import { USAGE_WINDOW_MS, type Usage, usageBetween } from "../accounts/facts";
import { type TemplateRow, templateRowsSql } from "../templates/message-templates";
import { identityOf, type WorkspaceIdentity } from "../workspace/identity";
import { type Settings, settingsOf } from "../workspace/settings";
import { contactsNeeded, contactsSql, ownerCsmNameSql, type peopleFor } from "./recipients";

/** What a run's transition and every touch in it need to know: its journey, account and workspace. */
export type RunContext = {
  journeyStatus: typeof journeys.$inferSelect.status;
  /** The enrollment itself is paused (bulk pause), whatever its journey's status. */
  enrollmentPausedAt: Date | null;
  journeyName: string;
  account: typeof accounts.$inferSelect;
  workspace: WorkspaceIdentity;
  secret: string;
  settings: Settings;
  /** What the transition's touches and facts will need, read with the rest (ReadAhead). */
  read?: ReadAhead;
};

/** What a transition's effects will ask for: its touches' `to`s and templates, and facts at `at`. */
export type ReadAheadRequest = { tos: string[]; templates: string[]; at: string; usage: boolean };

/**
 * Read with the run context, so a touch reads nothing on its own (docs/decisions/0044): the account's
 * contacts the touches name, the workspace's rows of their templates, the owner CSM's name, and the
 * account's usage at the transition's time. A set_stage step changes none of these.
 */
export type ReadAhead = {
  at: string;
  /** The `to`s whose contacts were read. */
  tos: string[];
  contacts: Parameters<typeof peopleFor>[1] | null;
  templates: Map<string, TemplateRow[]>;
  csmName: string | null;
  usage: Usage | null;
};

/**
 * The run context's one statement, built once and prepared: what the transition reads ahead is told
 * by parameters (which roles' contacts, which templates, usage at which instant), not by the text, so
 * a transition neither builds SQL nor prepares a statement of its own shape (decision 0045). Each
 * part not asked for is a CASE whose subquery is not run.
 */
const runContextQuery = builtOnce((db) => {
  const p = sql.placeholder;
  return db
    .select({
      journeyStatus: journeys.status,
      enrollmentPausedAt: enrollments.pausedAt,
      journeyName: journeys.name,
      account: accounts,
      workspaceName: workspaces.name,
      identity: workspaces.identity,
      secret: workspaces.signingSecret,
      settings: workspaces.settings,
      contacts: sql<ContactsRead>`case when ${p("contacts")}::boolean then ${contactsSql(sql`${p("roles")}::jsonb`)} end`,
      templates: sql<
        TemplateRow[] | null
      >`case when ${p("templates")}::jsonb is not null then ${templateRowsSql(sql`${p("templates")}::jsonb`)} end`,
      csmName: sql<string | null>`case when ${p("ahead")}::boolean then ${ownerCsmNameSql()} end`,
      usage: sql<Usage | null>`case when ${p("usageAt")}::timestamptz is not null then ${usageBetween(
        sql`${p("usageSince")}`,
        sql`${p("usageAt")}`,
      )} end`,
    })
    .from(enrollments)
    .innerJoin(journeys, eq(journeys.id, enrollments.journeyId))
    .innerJoin(accounts, eq(accounts.id, enrollments.accountId))
    .innerJoin(workspaces, eq(workspaces.id, enrollments.workspaceId))
    .where(and(eq(enrollments.id, p("enrollmentId")), eq(enrollments.workspaceId, p("workspaceId"))))
    .prepare("run_context");
});

type ContactsRead = ReadAhead["contacts"];

/**
 * The run context of an enrollment, in one query; undefined when the enrollment is not found. With
 * `ahead`, the same query reads what the transition's effects will need.
 */
export async function loadRunContext(
  db: Db,
  workspaceId: string,
  enrollmentId: string,
  log?: Pick<Logger, "warn">,
  ahead?: ReadAheadRequest,
): Promise<RunContext | undefined> {
  const contacts = ahead ? contactsNeeded(ahead.tos) : [];
  const usageAt = ahead?.usage ? ahead.at : null;
  const [row] = await runContextQuery(db).execute({
    workspaceId,
    enrollmentId,
    contacts: contacts.length > 0,
    roles: contacts === "all" || contacts.length === 0 ? null : JSON.stringify(contacts),
    templates: ahead && ahead.templates.length > 0 ? JSON.stringify(ahead.templates) : null,
    ahead: ahead !== undefined,
    usageAt,
    usageSince: usageAt && new Date(Date.parse(usageAt) - USAGE_WINDOW_MS).toISOString(),
  });
  if (!row) return undefined;
  const { workspaceName, identity, contacts: people, templates, csmName, usage, ...rest } = row;
  const workspace = identityOf(workspaceName, identity);
  const context: RunContext = { ...rest, workspace, settings: settingsOf(row.settings, log, workspace) };
  if (ahead) context.read = readAhead(ahead, { people, templates, csmName, usage });
  return context;
}

function readAhead(
  ahead: ReadAheadRequest,
  read: {
    people: ReadAhead["contacts"];
    templates: TemplateRow[] | null;
    csmName: string | null;
    usage: Usage | null;
  },
): ReadAhead {
  const templates = new Map<string, TemplateRow[]>(ahead.templates.map((key) => [key, []]));
  for (const row of read.templates ?? []) templates.get(row.key)?.push(row);
  return {
    at: ahead.at,
    tos: ahead.tos,
    contacts: read.people,
    templates,
    csmName: read.csmName,
    usage: read.usage,
  };
}
