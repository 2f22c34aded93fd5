import { and, eq, sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../db/client";
import { accounts, csms, type escalations } from "../../../db/schema/index";
import { pickLocale, type Rendered } from "../delivery/render";
import type { Services } from "../shared/services";
import { type FileTemplate, loadFileTemplates } from "../templates/files";
import type { Settings } from "../workspace/settings";
import { localeOf } from "./csms";

/**
 * The email a CSM gets about an escalation: HTML and text from `templates/notifications/csm-escalation`,
 * in the reader's language, every time in the reader's zone, with what a CSM needs to act: the
 * account's health and its trend, ARR, renewal, last login, what the journey did, and the link.
 */

export type EscalationStage = "opened" | "assigned" | "reminder" | "breach";

const notificationsDir = new URL("../../../templates/notifications", import.meta.url);

/** Trace entries shown: the latest, enough to see what the journey tried. */
const TRACE_SHOWN = 8;

/** Whom the email is for: name, language and zone. */
export type Reader = { name: string | null; locale: string; timeZone: string };

/**
 * The reader as the CSM record has them (`PUT /v1/csms/{email}`), else `en` and the workspace's zone:
 * a manager or fallback owner who is no CSM reads it so too.
 */
export async function readerOf(
  db: Db,
  workspaceId: string,
  email: string,
  settings: Pick<Settings, "delivery">,
): Promise<Reader> {
  const [row] = await db
    .select({ name: csms.name, locale: csms.locale, timezone: csms.timezone })
    .from(csms)
    .where(and(eq(csms.workspaceId, workspaceId), eq(csms.email, email)));
  return readerFrom(row ?? null, settings);
}

function readerFrom(row: CsmRecord | null, settings: Pick<Settings, "delivery">): Reader {
  return {
    name: row?.name ?? null,
    locale: localeOf(row?.locale ?? null) ?? "en",
    timeZone: row?.timezone ?? settings.delivery.defaultTimezone,
  };
}

type CsmRecord = { name: string | null; locale: string | null; timezone: string | null };

/** What the email says about the account and the run, read once per notification. */
export type EscalationBrief = {
  account: typeof accounts.$inferSelect | undefined;
  /** The latest two scores, newest first. */
  scores: { score: number; band: string }[];
  journey: string | null;
  /** The run's latest entries, oldest first. */
  trace: { at: Date; stepId: string | null; kind: string }[];
  /** The assignee's CSM record, read with the rest: the usual reader. */
  assignee: CsmRecord | null;
};

/**
 * The brief in one statement (built once, prepared): the account, its latest two scores, the
 * journey's name, the run's latest trace and the assignee's CSM record. An escalation notifies on
 * each stage, so this was five reads a notification (decision 0045).
 */
const briefQuery = builtOnce((db) =>
  db
    .select({
      account: accounts,
      scores: sql<{ score: number; band: string }[]>`(select coalesce(jsonb_agg(jsonb_build_object(
          'score', h.score, 'band', h.band) order by h.computed_at desc), '[]'::jsonb)
        from (select score, band, computed_at from account_health where account_id = "accounts"."id"
          order by computed_at desc limit 2) h)`,
      journey: sql<string | null>`(select j.name from enrollments e join journeys j on j.id = e.journey_id
        where e.id = ${sql.placeholder("enrollmentId")})`,
      trace: sql<{ at: string; stepId: string | null; kind: string }[]>`(select coalesce(jsonb_agg(
          jsonb_build_object('at', t.at, 'stepId', t.step_id, 'kind', t.kind) order by t.at, t.id), '[]'::jsonb)
        from (select id, at, step_id, kind from enrollment_trace
          where enrollment_id = ${sql.placeholder("enrollmentId")}
          order by at desc, id desc limit ${sql.raw(String(TRACE_SHOWN))}) t)`,
      assignee: sql<CsmRecord | null>`(select jsonb_build_object('name', c.name, 'locale', c.locale,
          'timezone', c.timezone)
        from csms c where c.workspace_id = "accounts"."workspace_id" and c.email = ${sql.placeholder("assignee")})`,
    })
    .from(accounts)
    .where(eq(accounts.id, sql.placeholder("accountId")))
    .prepare("escalation_brief"),
);

export async function loadBrief(db: Db, x: typeof escalations.$inferSelect): Promise<EscalationBrief> {
  const [row] = await briefQuery(db).execute({
    accountId: x.accountId,
    enrollmentId: x.enrollmentId,
    assignee: x.assignee ?? "",
  });
  if (!row) return { account: undefined, scores: [], journey: null, trace: [], assignee: null };
  return { ...row, trace: row.trace.map((t) => ({ ...t, at: new Date(t.at) })) };
}

/** The reader of one notification: the assignee from the brief, anyone else from their CSM record. */
export async function briefReader(
  db: Db,
  x: typeof escalations.$inferSelect,
  brief: EscalationBrief,
  email: string,
  settings: Pick<Settings, "delivery">,
): Promise<Reader> {
  if (email === x.assignee) return readerFrom(brief.assignee, settings);
  return readerOf(db, x.workspaceId, email, settings);
}

/** The message's values, formatted for the reader: the template only places them. */
export function emailContext(
  x: typeof escalations.$inferSelect,
  brief: EscalationBrief,
  n: {
    stage: EscalationStage;
    reader: Reader;
    viaFallback: boolean;
    publicUrl: string;
  },
) {
  const { locale, timeZone } = n.reader;
  const instant = (d: Date) =>
    new Intl.DateTimeFormat(locale, {
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "numeric",
      minute: "2-digit",
      timeZone,
      // The zone is named: a deadline read without it is off by the reader's offset.
      timeZoneName: "short",
    }).format(d);
  const a = brief.account;
  const [latest, previous] = brief.scores;
  const change = latest && previous ? latest.score - previous.score : 0;
  return {
    stage: n.stage,
    csm: { name: n.reader.name },
    journey: brief.journey,
    escalation: {
      reason: x.reason,
      priority: x.priority,
      due: instant(x.dueAt),
      viaFallback: n.viaFallback,
      link: `${n.publicUrl}/v1/escalations/${x.id}`,
    },
    account: {
      name: a?.name ?? "",
      externalId: a?.externalId ?? "",
      tier: a?.tier ?? "",
      health: latest && {
        score: latest.score,
        band: latest.band,
        change: change === 0 ? null : `${change > 0 ? "▲" : "▼"} ${Math.abs(change)}`,
      },
      arr: a?.arr != null ? new Intl.NumberFormat(locale).format(a.arr) : null,
      // A calendar day: the same day in every zone.
      renewal: a?.renewalDate
        ? new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(
            new Date(`${a.renewalDate}T00:00:00Z`),
          )
        : null,
      lastLogin: a?.lastLoginAt ? instant(a.lastLoginAt) : null,
    },
    trace: brief.trace.map((t) => ({ at: instant(t.at), what: t.kind.replaceAll("_", " "), step: t.stepId })),
  };
}

/**
 * Renders the email in the reader's language (English when the template lacks it) through the
 * render sandbox. The template files are read per notification: escalations are rare, and the
 * services then need no second template catalogue.
 */
export async function renderCsmEmail(
  deps: Pick<Services, "renderer">,
  locale: string,
  context: object,
  templates?: FileTemplate[],
): Promise<Rendered> {
  const all = templates ?? (await loadFileTemplates(notificationsDir));
  const template = all.find((t) => t.key === "csm-escalation");
  if (!template) throw new Error("templates/notifications/csm-escalation is missing");
  const copy = template.locales[pickLocale(Object.keys(template.locales), locale) ?? "en"];
  if (!copy) throw new Error("templates/notifications/csm-escalation has no copy");
  return deps.renderer.render(copy, context, { layout: false });
}
