import { z } from "zod";
import { accounts, enrollments, journeys } from "../../../db/schema/index";

export const EnrollmentStatus = z
  .enum(["active", "held", "completed", "exited", "failed"])
  .meta({ id: "EnrollmentStatus" });

export const Enrollment = z
  .object({
    id: z.string(),
    journey: z.string(),
    version: z.number().int(),
    account: z.string(),
    status: EnrollmentStatus,
    currentStep: z.string().nullable(),
    trigger: z.string(),
    entry: z.number().int(),
    enteredAt: z.string(),
    finishedAt: z.string().nullable(),
    exitReason: z.string().nullable(),
    goalReachedAt: z.string().nullable(),
    workflowId: z.string(),
  })
  .meta({ id: "Enrollment" });
export type Enrollment = z.infer<typeof Enrollment>;

export const TraceEntry = z
  .object({
    at: z.string(),
    stepId: z.string().nullable(),
    kind: z.string(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "TraceEntry" });
export type TraceEntry = z.infer<typeof TraceEntry>;

export const EnrollmentListQuery = z.object({
  journey: z.string().max(200).optional(),
  account: z.string().max(200).optional(),
  status: EnrollmentStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(500).optional().meta({ description: "`nextCursor` of the previous page" }),
});
export type EnrollmentListQuery = z.infer<typeof EnrollmentListQuery>;

/** The columns an Enrollment is read from: its row, its journey's key and its account's externalId. */
export const enrollmentColumns = {
  e: enrollments,
  journeyKey: journeys.key,
  accountExternalId: accounts.externalId,
};

type EnrollmentJoin = {
  e: typeof enrollments.$inferSelect;
  journeyKey: string;
  accountExternalId: string;
};

export function toEnrollment(row: EnrollmentJoin): Enrollment {
  const e = row.e;
  return {
    id: e.id,
    journey: row.journeyKey,
    version: e.version,
    account: row.accountExternalId,
    status: e.status,
    currentStep: e.currentStep,
    trigger: e.trigger,
    entry: e.entry,
    enteredAt: e.enteredAt.toISOString(),
    finishedAt: e.finishedAt?.toISOString() ?? null,
    exitReason: e.exitReason,
    goalReachedAt: e.goalReachedAt?.toISOString() ?? null,
    workflowId: e.workflowId,
  };
}
