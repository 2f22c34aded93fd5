import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  accountHealth,
  accounts,
  csms,
  enrollments,
  enrollmentTrace,
  type escalations,
  journeys,
} from "../../../db/schema/index";
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
  return {
    name: row?.name ?? null,
    locale: localeOf(row?.locale ?? null) ?? "en",
    timeZone: row?.timezone ?? settings.delivery.defaultTimezone,
  };
}

/** What the email says about the account and the run, read once per notification. */
export type EscalationBrief = Awaited<ReturnType<typeof loadBrief>>;

export async function loadBrief(db: Db, x: typeof escalations.$inferSelect) {
  const [account] = await db.select().from(accounts).where(eq(accounts.id, x.accountId));
  const scores = await db
    .select({ score: accountHealth.score, band: accountHealth.band })
    .from(accountHealth)
    .where(eq(accountHealth.accountId, x.accountId))
    .orderBy(desc(accountHealth.computedAt))
    .limit(2);
  const [journey] = await db
    .select({ name: journeys.name })
    .from(enrollments)
    .innerJoin(journeys, eq(journeys.id, enrollments.journeyId))
    .where(eq(enrollments.id, x.enrollmentId));
  const trace = await db
    .select({ at: enrollmentTrace.at, stepId: enrollmentTrace.stepId, kind: enrollmentTrace.kind })
    .from(enrollmentTrace)
    .where(eq(enrollmentTrace.enrollmentId, x.enrollmentId))
    .orderBy(desc(enrollmentTrace.at), desc(enrollmentTrace.id))
    .limit(TRACE_SHOWN);
  return { account, scores, journey: journey?.name ?? null, trace: trace.reverse() };
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
