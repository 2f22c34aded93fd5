import {
  CancellationScope,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  rootCause,
  setHandler,
  TemporalFailure,
  workflowInfo,
} from "@temporalio/workflow";
import {
  accountEventSignal,
  contactsChangedSignal,
  escalationResolvedSignal,
  exitSignal,
  type JourneyActivities,
  type JourneyRunInput,
  type RunRef,
  resumeSignal,
  SENDS_AS_ACTIVITIES,
  stateQuery,
  type TransitionResult,
} from "./contracts";
import { type Command, enter, type Input, type RunState, step, type Transition } from "./journey/interpreter";

const retry = { initialInterval: "1 second", maximumInterval: "5 minutes", backoffCoefficient: 2 };

/**
 * Local activities: each records one marker in the history instead of three events and a workflow
 * task round trip, which keeps a touch at a handful of history events. Their effects are idempotent
 * (touch keys, trace positions), so a re-run after a worker crash changes nothing.
 */
const local = proxyLocalActivities<JourneyActivities>({
  startToCloseTimeout: "1 minute",
  localRetryThreshold: "10 seconds",
  retry,
});
const { loadRun, closeFailedRun } = local;

/**
 * A transition that talks to a mail server or a webhook runs as a regular activity (decision 0043): a
 * slow server then never stretches a workflow task, and the heartbeat tells Temporal when its worker
 * died, so the retry starts at once and takes over the dead attempt's send reservations. The
 * start-to-close leaves room for several sends at the mailer's own timeouts (mailer.ts).
 */
const remote = proxyActivities<JourneyActivities>({
  startToCloseTimeout: "10 minutes",
  heartbeatTimeout: "15 seconds",
  retry,
});

/** Effects that wait on someone else's server: email (a touch or the CSM's notice) and webhooks. */
function waitsOnServers(commands: Command[]): boolean {
  return commands.some(
    (c) => (c.type === "send" && c.channel === "email") || c.type === "escalate" || c.type === "webhook",
  );
}

const SEEN_EVENTS_KEPT = 500;
const now = () => new Date(Date.now()).toISOString();

/**
 * One enrollment: a thin driver of the pure interpreter. Timers and `condition()` for waits, one
 * activity per transition for its effects and trace (local unless it waits on a mail server or a
 * webhook), signals for events, exits and resolutions.
 */
export async function journeyRun(input: JourneyRunInput): Promise<RunState> {
  const ref: RunRef = { workspaceId: input.workspaceId, enrollmentId: input.enrollmentId };
  const inbox: Input[] = [];
  const seen = new Set(input.carried?.seenEvents ?? []);
  let resumeRequested = false;
  let contactsChanged = false;
  let state: RunState | null = input.carried
    ? // A run carried over before runs knew their enrollment learns it here.
      { ...input.carried.state, enrollmentId: input.carried.state.enrollmentId ?? ref.enrollmentId }
    : null;
  /** The state the current transition started from. */
  let previous: RunState | null = state;
  let transitions = input.carried?.transitions ?? 0;

  setHandler(accountEventSignal, (event) => {
    // A redelivered or replayed event never acts twice.
    if (seen.has(event.eventId)) return;
    seen.add(event.eventId);
    inbox.push({ type: "event", at: now(), name: event.name, properties: event.properties ?? {} });
  });
  setHandler(exitSignal, ({ reason }) => {
    inbox.push({ type: "exit", at: now(), reason });
  });
  setHandler(resumeSignal, () => {
    resumeRequested = true;
  });
  setHandler(contactsChangedSignal, () => {
    contactsChanged = true;
  });
  setHandler(escalationResolvedSignal, ({ escalationKey, resume, resolution }) => {
    inbox.push({
      type: "escalation_resolved",
      at: now(),
      escalationKey,
      resume,
      ...(resolution ? { resolution } : {}),
    });
  });
  setHandler(stateQuery, () => state);

  try {
    return await drive();
  } catch (err) {
    // A run that fails (a non-retryable activity failure, a cancellation) must not stay active in the
    // database, listening for events: record it as failed, then fail the workflow as before.
    // Anything else is a bug that fails the workflow task and is retried; continueAsNew passes through.
    if (!(err instanceof TemporalFailure)) throw err;
    await CancellationScope.nonCancellable(() =>
      closeFailedRun({
        ...ref,
        at: now(),
        reason: `run_failed: ${rootCause(err) ?? err.message}`.slice(0, 500),
      }),
    );
    throw err;
  }

  async function drive(): Promise<RunState> {
    // Handlers first: a query or signal that arrives while the run loads must find them.
    const run = await loadRun(ref);
    const journey = run.journey;

    let transition: Transition = state
      ? { state, commands: [], trace: [] }
      : // The run's clock is the workflow's: waits count from when the run really started.
        enter(journey, run.accountId, now(), ref.enrollmentId);

    for (;;) {
      state = transition.state;
      const at = now();
      // Where the run was before this transition (for the first one: just entered, still running).
      const before: RunState = previous ?? { ...state, status: "running" };
      const result = await carryOut(ref, transition, at, before);
      if ("interruptedBy" in result) {
        // Held before a touch and then ended: the input applies to where the run was before it.
        inbox.splice(inbox.indexOf(result.interruptedBy), 1);
        transition = step(journey, before, result.interruptedBy);
        continue;
      }
      if (result.facts) {
        previous = state;
        transition = step(journey, state, { type: "facts", at, facts: result.facts });
        continue;
      }
      if (state.status === "completed" || state.status === "exited") return state;

      const info = workflowInfo();
      const longHistory =
        input.continueAsNewAfter !== undefined && info.historyLength >= input.continueAsNewAfter;
      if ((info.continueAsNewSuggested || longHistory) && inbox.length === 0) {
        await continueAsNew<typeof journeyRun>({
          ...ref,
          carried: { state, seenEvents: [...seen].slice(-SEEN_EVENTS_KEPT), transitions },
          ...(input.continueAsNewAfter !== undefined ? { continueAsNewAfter: input.continueAsNewAfter } : {}),
        });
      }

      const until = state.wait && "until" in state.wait ? Date.parse(state.wait.until) : undefined;
      const timeout = until === undefined ? undefined : Math.max(0, until - Date.now());
      if (timeout === undefined) await condition(() => inbox.length > 0);
      else if (timeout > 0) await condition(() => inbox.length > 0, timeout);
      const next: Input = inbox.shift() ?? { type: "timer", at: now() };
      previous = state;
      transition = step(journey, state, next);
    }

    /**
     * Runs the transition's effects; while the journey is paused, holds before the next touch until it
     * is resumed, or until an input arrives that ends the run (an exit, an exit event, the goal).
     */
    async function carryOut(
      ref: RunRef,
      t: Transition,
      at: string,
      from: RunState,
    ): Promise<TransitionResult | { interruptedBy: Input }> {
      const effectful = t.commands.filter((c) => c.type !== "wait");
      if (effectful.length === 0 && t.trace.length === 0) return {};
      transitions++;
      const base = {
        ...ref,
        transition: transitions,
        at,
        commands: effectful,
        status: t.state.status,
        currentStep: t.state.cursor,
        ...(t.state.goalReachedAt ? { goalReachedAt: t.state.goalReachedAt } : {}),
      };
      // patched() only when it matters: a transition without slow effects leaves no marker.
      const { applyTransition } = waitsOnServers(effectful) && patched(SENDS_AS_ACTIVITIES) ? remote : local;
      // A resume (or new contacts) arriving while the activity runs must not be lost: clear before, never after.
      resumeRequested = false;
      contactsChanged = false;
      let result = await applyTransition({ ...base, trace: t.trace });
      while (result.heldAt !== undefined) {
        const ends = (i: Input) => {
          const status = step(journey, from, i).state.status;
          return status === "completed" || status === "exited";
        };
        if (result.deferredUntil !== undefined) {
          // Quiet hours, or no recipients yet: sleep until then (an ending input still ends the run).
          // New contacts look again at once; histories without that signal wait exactly as before.
          await condition(
            () => contactsChanged || inbox.some(ends),
            Math.max(1, Date.parse(result.deferredUntil) - Date.now()),
          );
        } else {
          await condition(() => resumeRequested || inbox.some(ends));
        }
        const ending = resumeRequested ? undefined : inbox.find(ends);
        if (ending) return { interruptedBy: ending };
        resumeRequested = false;
        contactsChanged = false;
        // The same trace again (already written, so a no-op) keeps the effects' positions beside their
        // steps; the time is now, so the arbiter judges the send when it really happens.
        result = await applyTransition({ ...base, at: now(), trace: t.trace, from: result.heldAt });
      }
      return result;
    }
  }
}
