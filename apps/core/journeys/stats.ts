import { and, eq, gte, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { contactSends, enrollments, enrollmentTrace, events, touches } from "../../../db/schema/index";
import { findJourneyRow, getVersion } from "./journeys";

const count = sql<number>`count(*)::int`;

const Engagement = z
  .object({
    delivered: z.number().int().meta({ description: "Messages sent, one per contact reached" }),
    opened: z.number().int().meta({ description: "Messages opened (tracking pixel), once per contact" }),
    clicked: z
      .number()
      .int()
      .meta({ description: "Messages with a tracked link followed, once per contact" }),
    unsubscribed: z.number().int().meta({ description: "Unsubscribes through the message's own link" }),
    openRate: z
      .number()
      .nullable()
      .meta({ description: "opened / delivered; null when nothing was delivered" }),
    clickRate: z.number().nullable(),
    unsubscribeRate: z.number().nullable(),
  })
  .meta({ id: "Engagement" });
type Engagement = z.infer<typeof Engagement>;

export const JourneyStats = z
  .object({
    key: z.string(),
    enrollments: z.record(z.string(), z.number().int()).meta({ description: "Enrollments by status" }),
    goals: z.number().int(),
    steps: z.array(
      z.object({
        stepId: z.string(),
        type: z.string(),
        reached: z.number().int().meta({ description: "Enrollments that reached the step" }),
        touches: z.record(z.string(), z.number().int()).meta({ description: "Touches by delivery status" }),
        engagement: Engagement,
      }),
    ),
    variants: z
      .array(
        z.object({
          stepId: z.string().meta({ description: "The split step" }),
          variant: z.string().meta({ description: "The branch's name, else the step it leads to" }),
          enrollments: z.number().int(),
          engagement: Engagement.meta({ description: "Of the messages sent after the split" }),
        }),
      )
      .meta({ description: "Each split's branches, to compare A against B" }),
  })
  .meta({ id: "JourneyStats" });
export type JourneyStats = z.infer<typeof JourneyStats>;

const engagementEvents = {
  message_opened: "opened",
  message_clicked: "clicked",
  message_unsubscribed: "unsubscribed",
} as const;

function engagement(delivered: number, counts: Partial<Record<string, number>>): Engagement {
  const of = (n: number) => (delivered > 0 ? Math.round((n / delivered) * 10_000) / 10_000 : null);
  const opened = counts.opened ?? 0;
  const clicked = counts.clicked ?? 0;
  const unsubscribed = counts.unsubscribed ?? 0;
  return {
    delivered,
    opened,
    clicked,
    unsubscribed,
    openRate: of(opened),
    clickRate: of(clicked),
    unsubscribeRate: of(unsubscribed),
  };
}

/**
 * The per-step funnel of a journey across all its versions, with engagement (opens, clicks and
 * unsubscribes from the tracking links, as rates of what was delivered) per step and per split branch:
 * grouped queries, none per enrollment.
 */
export async function journeyStats(db: Db, workspaceId: string, key: string): Promise<JourneyStats | null> {
  const row = await findJourneyRow(db, workspaceId, key);
  if (!row) return null;
  const ofJourney = eq(enrollments.journeyId, row.id);
  const byStatus = await db
    .select({
      status: enrollments.status,
      n: count,
      goals: sql<number>`count(${enrollments.goalReachedAt})::int`,
    })
    .from(enrollments)
    .where(ofJourney)
    .groupBy(enrollments.status);
  const reached = await db
    .select({
      stepId: enrollmentTrace.stepId,
      n: sql<number>`count(distinct ${enrollmentTrace.enrollmentId})::int`,
    })
    .from(enrollmentTrace)
    .innerJoin(enrollments, eq(enrollments.id, enrollmentTrace.enrollmentId))
    .where(ofJourney)
    .groupBy(enrollmentTrace.stepId);
  const sent = await db
    .select({ stepId: touches.stepId, status: touches.status, n: count })
    .from(touches)
    .innerJoin(enrollments, eq(enrollments.id, touches.enrollmentId))
    .where(ofJourney)
    .groupBy(touches.stepId, touches.status);
  const delivered = await db
    .select({ stepId: touches.stepId, n: count })
    .from(contactSends)
    .innerJoin(touches, eq(touches.id, contactSends.touchId))
    .innerJoin(enrollments, eq(enrollments.id, touches.enrollmentId))
    .where(and(ofJourney, eq(contactSends.status, "sent")))
    .groupBy(touches.stepId);
  // Tracking events carry their enrollment and step (public-links.ts), one per message, contact and kind.
  const eventStep = sql<string>`${events.properties}->>'stepId'`;
  const eventEnrollment = sql`(${events.properties}->>'enrollmentId')`;
  const engaged = await db
    .select({ stepId: eventStep, name: events.name, n: count })
    .from(events)
    .innerJoin(enrollments, sql`${enrollments.id}::text = ${eventEnrollment}`)
    .where(
      and(
        eq(events.workspaceId, workspaceId),
        inArray(events.name, Object.keys(engagementEvents)),
        ofJourney,
      ),
    )
    .groupBy(eventStep, events.name);

  const definition = (
    row.latestVersion !== null ? (await getVersion(db, workspaceId, key))?.definition : row.draft
  ) as {
    steps?: { id: string; type: string }[];
  };
  const countsOf = (rows: { name: string; n: number }[]) =>
    Object.fromEntries(
      rows.map((r) => [engagementEvents[r.name as keyof typeof engagementEvents], r.n] as const),
    );
  return {
    key,
    enrollments: Object.fromEntries(byStatus.map((s) => [s.status, s.n])),
    goals: byStatus.reduce((sum, s) => sum + s.goals, 0),
    steps: (definition.steps ?? []).map((s) => ({
      stepId: s.id,
      type: s.type,
      reached: reached.find((r) => r.stepId === s.id)?.n ?? 0,
      touches: Object.fromEntries(sent.filter((t) => t.stepId === s.id).map((t) => [t.status, t.n])),
      engagement: engagement(
        delivered.find((d) => d.stepId === s.id)?.n ?? 0,
        countsOf(engaged.filter((e) => e.stepId === s.id)),
      ),
    })),
    variants: await variantStats(db, workspaceId, row.id),
  };
}

/** Per split branch: the enrollments that took it, and the engagement of what they were sent after it. */
async function variantStats(
  db: Db,
  workspaceId: string,
  journeyId: string,
): Promise<JourneyStats["variants"]> {
  const variant = sql<string>`coalesce(${enrollmentTrace.detail}->>'variant', ${enrollmentTrace.detail}->>'next', 'end')`;
  const splits = db.$with("splits").as(
    db
      .select({
        enrollmentId: enrollmentTrace.enrollmentId,
        stepId: sql<string>`${enrollmentTrace.stepId}`.as("split_step"),
        variant: variant.as("variant"),
        at: sql<Date>`min(${enrollmentTrace.at})`.as("split_at"),
      })
      .from(enrollmentTrace)
      .innerJoin(enrollments, eq(enrollments.id, enrollmentTrace.enrollmentId))
      .where(and(eq(enrollments.journeyId, journeyId), eq(enrollmentTrace.kind, "split")))
      .groupBy(enrollmentTrace.enrollmentId, enrollmentTrace.stepId, variant),
  );
  const taken = await db
    .with(splits)
    .select({ stepId: splits.stepId, variant: splits.variant, n: count })
    .from(splits)
    .groupBy(splits.stepId, splits.variant);
  if (taken.length === 0) return [];
  const delivered = await db
    .with(splits)
    .select({ stepId: splits.stepId, variant: splits.variant, n: count })
    .from(splits)
    .innerJoin(touches, eq(touches.enrollmentId, splits.enrollmentId))
    .innerJoin(contactSends, eq(contactSends.touchId, touches.id))
    .where(and(eq(contactSends.status, "sent"), gte(contactSends.sentAt, splits.at)))
    .groupBy(splits.stepId, splits.variant);
  const engaged = await db
    .with(splits)
    .select({ stepId: splits.stepId, variant: splits.variant, name: events.name, n: count })
    .from(splits)
    .innerJoin(events, sql`${events.properties}->>'enrollmentId' = ${splits.enrollmentId}::text`)
    .where(
      and(
        eq(events.workspaceId, workspaceId),
        inArray(events.name, Object.keys(engagementEvents)),
        gte(events.occurredAt, splits.at),
      ),
    )
    .groupBy(splits.stepId, splits.variant, events.name);
  const same = (a: { stepId: string; variant: string }) => (b: { stepId: string; variant: string }) =>
    a.stepId === b.stepId && a.variant === b.variant;
  return taken.map((t) => ({
    stepId: t.stepId,
    variant: t.variant,
    enrollments: t.n,
    engagement: engagement(
      delivered.find(same(t))?.n ?? 0,
      Object.fromEntries(
        engaged
          .filter(same(t))
          .map((e) => [engagementEvents[e.name as keyof typeof engagementEvents], e.n] as const),
      ),
    ),
  }));
}
