import { WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import {
  type EscalationSlaInput,
  type EscalationSlaWorkflow,
  escalationSlaWorkflowId,
  type TransitionInput,
  type TransitionResult,
} from "../../../workflows/contracts";
import { stepAssignee } from "../../../workflows/journey/assignment";
import type { Command, Facts } from "../../../workflows/journey/interpreter";
import { WAITING_FOR_RECIPIENTS } from "../../../workflows/journey/recipient-wait";
import { addDuration } from "../../../workflows/journey/time";
import type { LifecycleStage } from "../accounts/accounts";
import { changeStage } from "../accounts/change-stage";
import { type DeliveryDeps, deliverTouch } from "../delivery/deliver-touch";
import { loadRunContext, type ReadAheadRequest, type RunContext } from "../delivery/run-context";
import { factsAt } from "../delivery/touch-inputs";
import { WEBHOOK_ATTEMPTS, webhookStepOnce } from "../delivery/webhooks";
import { type TraceRow, WriteBatch } from "../delivery/write-batch";
import { notifyEscalation } from "../escalations/notify";
import { openEscalation } from "../escalations/open";
import { PermanentFailure } from "./permanent-failure";
import type { RuntimeDeps } from "./runtime";
import { onStageEntered } from "./triggers";

/** What carrying out a transition needs: the runtime (db, Temporal) and delivery (mail, templates). */
export type TransitionDeps = RuntimeDeps & DeliveryDeps;

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

/**
 * Carries out one transition's effects (touches, escalations, stage changes, webhooks, facts) and
 * records its trace and the enrollment's state. `attempt` is the activity's attempt number (1 first):
 * sends and webhooks key their idempotency on it; `heartbeated` when it is a regular activity's (0043).
 */
export async function applyTransition(
  deps: TransitionDeps,
  input: TransitionInput,
  attempt: number,
  heartbeated = false,
): Promise<TransitionResult> {
  const { db } = deps;
  // Read once for every effect of the transition; kept current as the effects change the account.
  const run = await loadRunContext(db, input.workspaceId, input.enrollmentId, deps.log, readAheadFor(input));
  if (!run) throw new PermanentFailure(`no enrollment ${input.enrollmentId}`);

  // The interpreter's entries first, then what the effects did (sent, held, notified…).
  const trace: TraceRow[] = input.trace.map((t, i) => ({ ...t, position: (i + 1) * 10 }));
  const slot = positions(input.trace);
  let facts: Facts | undefined;
  let finished: Extract<Command, { type: "finish" }> | undefined;
  let heldAt: number | undefined;
  let deferredUntil: string | undefined;
  // The touches' settlements, written with the trace and the enrollment's state in one statement.
  const writes = new WriteBatch();

  for (let i = input.from ?? 0; i < input.commands.length; i++) {
    const command = input.commands[i];
    if (!command) continue;
    // Whatever a send did is written before any other effect (another touch, a CSM notice, a webhook,
    // the stage's journeys, facts): that effect may fail, and the retry must find the send settled.
    if (command.type !== "wait" && command.type !== "finish") await writes.flush(db);
    switch (command.type) {
      case "send": {
        const outcome = await deliverTouch(
          deps,
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
            attempt,
            heartbeated,
            ...(command.waitForRecipients !== undefined
              ? { waitForRecipients: command.waitForRecipients }
              : {}),
          },
          run,
          writes,
        );
        if (outcome.status === "held") {
          // The journey is paused (delivery's decide()): the run holds here until it is resumed.
          trace.push({
            at: input.at,
            stepId: command.stepId,
            kind: "held",
            detail: { because: outcome.reason, touchKey: command.touchKey },
            position: slot(command.stepId, ["touch"], 6),
          });
          heldAt = i;
          break;
        }
        if (outcome.status === "deferred" && outcome.reason === WAITING_FOR_RECIPIENTS) {
          // No contact for `to` yet: the run sleeps until the bound, or until contacts are saved.
          // One entry however often it wakes: every call names the same bound.
          trace.push({
            at: input.at,
            stepId: command.stepId,
            kind: WAITING_FOR_RECIPIENTS,
            detail: { touchKey: command.touchKey, to: command.to, until: outcome.until },
            position: slot(command.stepId, ["touch"], 4),
          });
          heldAt = i;
          deferredUntil = outcome.until;
          break;
        }
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
        const opened = await openEscalation(
          deps,
          {
            workspaceId: input.workspaceId,
            enrollmentId: input.enrollmentId,
            accountId: account.id,
            tier: account.tier,
            escalationKey: command.escalationKey,
            stepId: command.stepId,
            reason: command.reason,
            priority: command.priority,
            sla: command.sla,
            assignee: stepAssignee(command.assignee, account.ownerCsm),
            holdsJourney: command.waitForResolution,
            at: input.at,
          },
          run.settings,
        );
        // Its SLA runs in a workflow of its own (reminder, then re-escalation); the id makes it once.
        await startSlaOnce(deps, {
          workspaceId: input.workspaceId,
          escalationId: opened.id,
          createdAt: input.at,
          dueAt: addDuration(input.at, command.sla),
        });
        const outcome = await notifyEscalation(deps, {
          escalation: opened,
          account: account.name,
          stage: "opened",
          journey: run.journeyName,
          at: input.at,
          attempt,
          settings: run.settings,
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
      case "set_stage":
        await setStageStep(deps, input.workspaceId, run, command.stage, input.at);
        break;
      case "webhook": {
        const outcome = await webhookStepOnce(deps, {
          workspaceId: input.workspaceId,
          enrollmentId: input.enrollmentId,
          stepId: command.stepId,
          key: command.key,
          url: command.url,
          body: {
            ...command.payload,
            enrollmentId: input.enrollmentId,
            stepId: command.stepId,
            at: input.at,
          },
          attempt,
          maxAttempts: WEBHOOK_ATTEMPTS,
        });
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
        facts = await factsAt(db, run, input.at);
        break;
      case "finish":
        finished = command;
        break;
      case "wait":
        break;
    }
    if (heldAt !== undefined) break;
  }

  await recordTransition(deps, input, trace, writes, {
    status: finished
      ? finished.status
      : heldAt !== undefined && deferredUntil === undefined
        ? "held"
        : "active",
    finished,
  });
  return {
    ...(facts ? { facts } : {}),
    ...(heldAt !== undefined ? { heldAt } : {}),
    ...(deferredUntil ? { deferredUntil } : {}),
  };
}

/** What the transition's touches and facts will read, read once with its run context. */
function readAheadFor(input: TransitionInput): ReadAheadRequest {
  const commands = input.commands.slice(input.from ?? 0);
  const sends = commands.flatMap((c) => (c.type === "send" ? [c] : []));
  return {
    tos: [...new Set(sends.map((c) => c.to))],
    templates: [...new Set(sends.map((c) => c.template))],
    at: input.at,
    usage: sends.length > 0 || commands.some((c) => c.type === "load_facts"),
  };
}

/**
 * The set_stage step: the accounts feature's one stage change (row lock, `updatedAt`), then the
 * stage's triggers. A trigger failure throws, so the activity retries. The retry finds the stage
 * already set; it still starts the stage's journeys when this transition is what set it (the row's
 * `updatedAt` is the transition's time, the same on every attempt), and enrollments the first
 * attempt did start are found by their deterministic ids and re-entry rules. Keeps `run.account` current.
 */
async function setStageStep(
  deps: TransitionDeps,
  workspaceId: string,
  run: RunContext,
  to: string,
  at: string,
): Promise<void> {
  const when = new Date(at);
  const change = await changeStage(deps, {
    workspaceId,
    accountId: run.account.id,
    stage: to as LifecycleStage,
    at: when,
  });
  if (!change) return;
  run.account = change.account;
  const setHere = change.entered || change.account.updatedAt.getTime() === when.getTime();
  // Entering a stage can start the next journey (onboarding → adoption).
  if (setHere) await onStageEntered(deps, workspaceId, change.account.id, change.account.lifecycleStage);
}

/**
 * The touches' settlements held in `writes`, the trace and the enrollment's state, in one statement
 * (its parts are CTEs of the enrollment's update): all or nothing, so an enrollment that reads as
 * finished has its whole trace. Each part is idempotent; a retry redoes them all.
 */
async function recordTransition(
  deps: TransitionDeps,
  input: TransitionInput,
  trace: TraceRow[],
  writes: WriteBatch,
  state: {
    status: "active" | "held" | Extract<Command, { type: "finish" }>["status"];
    finished: Extract<Command, { type: "finish" }> | undefined;
  },
): Promise<void> {
  await writes.flush(deps.db, {
    enrollmentId: input.enrollmentId,
    transition: input.transition,
    trace,
    status: state.status,
    currentStep: input.currentStep,
    ...(input.goalReachedAt ? { goalReachedAt: input.goalReachedAt } : {}),
    ...(state.finished ? { finished: { at: input.at, reason: state.finished.reason ?? null } } : {}),
  });
}

/** Starts an escalation's SLA workflow unless one with its id ever ran (a retried activity must not start a second). */
async function startSlaOnce(deps: TransitionDeps, args: EscalationSlaInput): Promise<void> {
  try {
    await deps.client.workflow.start<EscalationSlaWorkflow>("escalationSla", {
      taskQueue: deps.taskQueue,
      workflowId: escalationSlaWorkflowId(args.escalationId),
      args: [args],
      workflowIdReusePolicy: "REJECT_DUPLICATE",
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
