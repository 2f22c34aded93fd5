import { and, eq } from "drizzle-orm";
import { accounts, journeys } from "../../../db/schema/index";
import type { Refusal } from "../shared/refusal";
import { type EnrollOutcome, enroll } from "./enroll";
import type { RuntimeDeps } from "./runtime";
import type { Enrollment } from "./schemas";

export type EnrollByKeys =
  | { ok: true; enrollment: Enrollment }
  | { ok: false; refusal: Extract<Refusal, "not_found">; problems: { pointer: string; message: string }[] }
  | {
      ok: false;
      refusal: Extract<Refusal, "conflict">;
      code: Extract<EnrollOutcome, { enrolled: false }>["code"];
      reason: string;
    };

/** A manual enrollment (the API's POST /enrollments): journey by key, account by externalId. */
export async function enrollByKeys(
  deps: RuntimeDeps,
  input: { workspaceId: string; journey: string; account: string },
): Promise<EnrollByKeys> {
  const { db } = deps;
  // Both lookups at once: neither needs the other.
  const [[journey], [account]] = await Promise.all([
    db
      .select({ id: journeys.id })
      .from(journeys)
      .where(and(eq(journeys.workspaceId, input.workspaceId), eq(journeys.key, input.journey))),
    db
      .select({ id: accounts.id })
      .from(accounts)
      .where(and(eq(accounts.workspaceId, input.workspaceId), eq(accounts.externalId, input.account))),
  ]);
  if (!journey || !account) {
    return {
      ok: false,
      refusal: "not_found",
      problems: [
        ...(journey ? [] : [{ pointer: "/journey", message: `no journey "${input.journey}"` }]),
        ...(account ? [] : [{ pointer: "/account", message: `no account "${input.account}"` }]),
      ],
    };
  }
  const outcome = await enroll(deps, {
    workspaceId: input.workspaceId,
    journeyId: journey.id,
    accountId: account.id,
    trigger: "manual",
  });
  return outcome.enrolled
    ? { ok: true, enrollment: outcome.enrollment }
    : { ok: false, refusal: "conflict", code: outcome.code, reason: outcome.reason };
}
