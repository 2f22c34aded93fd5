import { ApplicationFailure, Context } from "@temporalio/activity";
import { WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import { and, eq } from "drizzle-orm";
import {
  accounts,
  enrollmentListeners,
  enrollments,
  enrollmentTrace,
  journeyVersions,
} from "../../db/schema";
import type { JourneyActivities, TransitionInput, TransitionResult } from "../../workflows/activities";
import { escalationSla, escalationSlaWorkflowId } from "../../workflows/escalation-sla";
import type { Command, Facts } from "../../workflows/journey/interpreter";
import { JourneyDefinition } from "../../workflows/journey/schema";
import { addDuration } from "../../workflows/journey/time";
import { accountFacts } from "../core/accounts/facts";
import { type DeliveryDeps, deliverTouch, loadRunContext } from "../core/delivery/deliver-touch";
import { postWebhook } from "../core/delivery/webhooks";
import { closeEnrollment, type RuntimeDeps } from "../core/enrollments/runtime";
import { onStageEntered } from "../core/enrollments/triggers";
import { notifyEscalation, openEscalation } from "../core/escalations/escalations";

export type JourneyActivityDeps = RuntimeDeps & Omit<DeliveryDeps, "db">;

/**
 * Trace positions, stable across retries: the interpreter's entries at 10, 20, 30…; what an effect did
 * (sent, held, notified) right after the entry of its step, so the trace reads in order.
 */
function positions(trace: TransitionInput["trace"]) {
  const used = new Set<number>();
  return (stepId: string, kinds: string[], k: number) => {
    const index = trace.findIndex((t, i) => t.stepId === stepId && kinds.includes(t.kind) && !used.has(i));
    if (index < 0) return 100_000 + k;
    used.add(index);
    return (index + 1) * 10 + 1 + k;
  };
}

const WEBHOOK_ATTEMPTS = 5;

type EffectTrace = {
  at: string;
  stepId: string | null;
  kind: string;
  detail: Record<string, unknown>;
  position: number;
};

export function createJourneyActivities(deps: JourneyActivityDeps): JourneyActivities {
  const { db } = deps;
  const delivery: DeliveryDeps = { ...deps, db };

  return {
    async loadRun({ workspaceId, enrollmentId }) {
      const [row] = await db
        .select({
          definition: journeyVersions.definition,
          accountId: enrollments.accountId,
          enteredAt: enrollments.enteredAt,
        })
        .from(enrollments)
        .innerJoin(journeyVersions, eq(journeyVersions.id, enrollments.journeyVersionId))
        .where(and(eq(enrollments.workspaceId, workspaceId), eq(enrollments.id, enrollmentId)));
      if (!row)
        throw ApplicationFailure.create({ message: `no enrollment ${enrollmentId}`, nonRetryable: true });
      const journey = JourneyDefinition.safeParse(row.definition);
      // A stored version that does not parse never will: retrying cannot help.
      if (!journey.success)
        throw ApplicationFailure.create({
          message: `journey version of enrollment ${enrollmentId} does not parse: ${journey.error.message}`,
          nonRetryable: true,
        });
      return {
        journey: journey.data,
        accountId: row.accountId,
        enteredAt: row.enteredAt.toISOString(),
      };
    },

    async applyTransition(input: TransitionInput): Promise<TransitionResult> {
      // Read once for every effect of the transition; kept current as the effects change the account.
      const run = await loadRunContext(db, input.workspaceId, input.enrollmentId);
      if (!run)
        throw ApplicationFailure.create({
          message: `no enrollment ${input.enrollmentId}`,
          nonRetryable: true,
        });

      // The interpreter's entries first, then what the effects did (sent, held, notified…).
      const trace: EffectTrace[] = input.trace.map((t, i) => ({ ...t, position: (i + 1) * 10 }));
      const slot = positions(input.trace);
      let facts: Facts | undefined;
      let finished: Extract<Command, { type: "finish" }> | undefined;
      let heldAt: number | undefined;
      let deferredUntil: string | undefined;

      for (let i = input.from ?? 0; i < input.commands.length; i++) {
        const command = input.commands[i];
        if (!command) continue;
        switch (command.type) {
          case "send": {
            if (run.journeyStatus === "paused") {
              trace.push({
                at: input.at,
                stepId: command.stepId,
                kind: "held",
                detail: { because: "journey_paused", touchKey: command.touchKey },
                position: slot(command.stepId, ["touch"], 6),
              });
              heldAt = i;
              break;
            }
            const outcome = await deliverTouch(
              delivery,
              {
                workspaceId: input.workspaceId,
                enrollmentId: input.enrollmentId,
                journeyName: run.journeyName,
                touchKey: command.touchKey,
                stepId: command.stepId,
                channel: command.channel,
                template: command.template,
                to: command.to,
                at: input.at,
                attempt: currentAttempt(),
              },
              run,
            );
            if (outcome.status === "deferred") {
              // Quiet hours for some contacts: the run sleeps until then and calls again from here.
              trace.push({
                at: input.at,
                stepId: command.stepId,
                kind: "deferred",
                detail: {
                  touchKey: command.touchKey,
                  until: outcome.until,
                  decisions: outcome.decisions ?? [],
                },
                position: slot(command.stepId, ["touch"], input.from !== undefined ? 7 : 5),
              });
              heldAt = i;
              deferredUntil = outcome.until;
              break;
            }
            trace.push({
              at: input.at,
              stepId: command.stepId,
              kind: outcome.status === "sent" ? "sent" : "not_sent",
              detail: {
                status: outcome.status,
                touchKey: command.touchKey,
                recipients: outcome.recipients,
                ...(outcome.reason ? { reason: outcome.reason } : {}),
                ...(outcome.duplicate ? { duplicate: true } : {}),
                ...(outcome.decisions ? { decisions: outcome.decisions } : {}),
              },
              // After a hold, "sent" follows the "held" entry of the same touch.
              position: slot(command.stepId, ["touch"], input.from !== undefined ? 8 : 0),
            });
            break;
          }
          case "escalate": {
            const { account } = run;
            const explicit = command.assignee === "owner_csm" ? account.ownerCsm : command.assignee;
            const opened = await openEscalation(db, {
              workspaceId: input.workspaceId,
              enrollmentId: input.enrollmentId,
              accountId: account.id,
              tier: account.tier,
              escalationKey: command.escalationKey,
              stepId: command.stepId,
              reason: command.reason,
              priority: command.priority,
              sla: command.sla,
              assignee: explicit,
              holdsJourney: command.waitForResolution,
              at: input.at,
            });
            // Its SLA runs in a workflow of its own (reminder, then re-escalation); the id makes it once.
            await startOnce(deps, escalationSla, {
              taskQueue: deps.taskQueue,
              workflowId: escalationSlaWorkflowId(opened.id),
              args: [
                {
                  workspaceId: input.workspaceId,
                  escalationId: opened.id,
                  createdAt: input.at,
                  dueAt: addDuration(input.at, command.sla),
                },
              ],
            });
            const outcome = await notifyEscalation(delivery, {
              escalation: opened,
              account: account.name,
              stage: "opened",
              journey: run.journeyName,
              at: input.at,
              attempt: currentAttempt(),
            });
            trace.push({
              at: input.at,
              stepId: command.stepId,
              kind: "csm_notified",
              detail: {
                to: opened.assignee,
                status: outcome.status,
                ...(outcome.reason ? { reason: outcome.reason } : {}),
              },
              position: slot(command.stepId, ["escalated"], 0),
            });
            break;
          }
          case "set_stage": {
            const stage = command.stage as typeof accounts.$inferSelect.lifecycleStage;
            if (run.account.lifecycleStage !== stage) {
              await db.update(accounts).set({ lifecycleStage: stage }).where(eq(accounts.id, run.account.id));
              run.account = { ...run.account, lifecycleStage: stage };
              // Entering a stage can start the next journey (onboarding → adoption).
              await onStageEntered(deps, input.workspaceId, run.account.id, stage);
            }
            break;
          }
          case "webhook": {
            const outcome = await postWebhook(
              command.url,
              { ...command.payload, enrollmentId: input.enrollmentId, stepId: command.stepId, at: input.at },
              {
                idempotencyKey: `${input.enrollmentId}:${command.key}`,
                attempt: currentAttempt(),
                maxAttempts: WEBHOOK_ATTEMPTS,
              },
            );
            trace.push({
              at: input.at,
              stepId: command.stepId,
              kind: outcome.ok ? "webhook_delivered" : "webhook_failed",
              detail: outcome,
              position: slot(command.stepId, ["webhook"], 0),
            });
            break;
          }
          case "load_facts":
            facts = await accountFacts(db, run.account, input.at);
            break;
          case "finish":
            finished = command;
            break;
          case "wait":
            break;
        }
        if (heldAt !== undefined) break;
      }

      // No transaction: each write is idempotent and a retry redoes them all; the trace goes first, so
      // an enrollment that reads as finished has its whole trace.
      if (trace.length > 0) {
        await db
          .insert(enrollmentTrace)
          .values(
            trace.map((t) => ({
              enrollmentId: input.enrollmentId,
              transition: input.transition,
              position: t.position,
              at: new Date(t.at),
              stepId: t.stepId,
              kind: t.kind,
              detail: t.detail,
            })),
          )
          .onConflictDoNothing();
      }
      await db
        .update(enrollments)
        .set({
          status: finished
            ? finished.status
            : heldAt !== undefined && deferredUntil === undefined
              ? "held"
              : "active",
          currentStep: input.currentStep,
          ...(input.goalReachedAt ? { goalReachedAt: new Date(input.goalReachedAt) } : {}),
          ...(finished ? { finishedAt: new Date(input.at), exitReason: finished.reason } : {}),
        })
        .where(eq(enrollments.id, input.enrollmentId));
      if (finished)
        await db.delete(enrollmentListeners).where(eq(enrollmentListeners.enrollmentId, input.enrollmentId));
      return {
        ...(facts ? { facts } : {}),
        ...(heldAt !== undefined ? { heldAt } : {}),
        ...(deferredUntil ? { deferredUntil } : {}),
      };
    },

    async closeFailedRun({ workspaceId, enrollmentId, at, reason }) {
      const [row] = await db
        .select({ id: enrollments.id })
        .from(enrollments)
        .where(and(eq(enrollments.workspaceId, workspaceId), eq(enrollments.id, enrollmentId)));
      if (row) await closeEnrollment(db, row.id, "failed", reason, new Date(at));
    },
  };
}

/** The activity's attempt number; 1 outside an activity (tests calling the functions directly). */
function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** Starts a workflow unless one with that id ever ran (a retried activity must not start a second). */
async function startOnce(
  deps: JourneyActivityDeps,
  workflow: typeof escalationSla,
  options: { taskQueue: string; workflowId: string; args: Parameters<typeof escalationSla> },
): Promise<void> {
  try {
    await deps.client.workflow.start(workflow, { ...options, workflowIdReusePolicy: "REJECT_DUPLICATE" });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
