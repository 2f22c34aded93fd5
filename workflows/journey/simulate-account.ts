import { chooseAssignee, type RosterCsm, recordPick, stepAssignee } from "./assignment";
import { mayEnter, mayReenter } from "./entry";
import { hashUnit } from "./hash-unit";
import { type Command, enter, type Input, type RunState, step, type Transition } from "./interpreter";
import {
  noRecipient,
  recipientWaitUntil,
  WAITING_FOR_RECIPIENTS,
  waitsForRecipients,
} from "./recipient-wait";
import { alwaysRelevantEvents } from "./relevant-events";
import { DEFAULT_RECIPIENT_WAIT, type JourneyDefinition } from "./schema";
import {
  eventsUpTo,
  factsAt,
  type SimAccount,
  type SimEvent,
  type SimWindow,
  simEvent,
  triggerTimes,
} from "./simulate-timeline";
import { addDuration, isBefore } from "./time";

/** One account over the window, on a virtual clock: an entry at each trigger its policies allow. */

export type SimTouch = {
  at: string;
  stepId: string;
  channel: "email" | "in_app";
  template: string;
  to: string;
  /** Who `to` resolves to, when the account's contacts are known; empty: the touch would reach no one. */
  recipients?: string[];
  /**
   * When `to` names none of the account's contacts: live, the touch waits for one (trace
   * `waiting_for_recipients`) until `until`, the step's `waitForRecipients` bound after `at`, and the
   * run with it; unless a contact arrives by then, it is skipped with `otherwise.reason`. The
   * simulator knows no arrival times, so it shows that outcome and holds the run until `until`.
   */
  waitingForRecipients?: RecipientWait;
};
export type RecipientWait = {
  status: typeof WAITING_FOR_RECIPIENTS;
  bound: string;
  until: string;
  otherwise: { status: "skipped"; reason: string };
};
export type SimEscalation = {
  at: string;
  stepId: string;
  reason: string;
  priority: string;
  sla: string;
  /** The CSM it would go to, when known. */
  assignee: string | null;
};
export type SimOutcome = "completed" | "exited" | "active" | "not_enrolled";

/** One enrollment of an account; an account enters again when its trigger fires and re-entry allows. */
export type SimEntry = {
  enteredAt: string;
  /** When the run completed or exited; null when it is still active at the end of the window. */
  finishedAt: string | null;
  outcome: Exclude<SimOutcome, "not_enrolled">;
  reason?: string;
  goalReachedAt?: string;
};

export type SimAccountResult = {
  account: string;
  /** The first entry. */
  enteredAt: string | null;
  /** Every touch and escalation, across all entries. */
  touches: SimTouch[];
  escalations: SimEscalation[];
  /** The last entry's outcome, or not_enrolled. */
  outcome: SimOutcome;
  reason?: string;
  /** The first time the goal was reached. */
  goalReachedAt?: string;
  entries: SimEntry[];
  /** The lifecycle stage at the end, when a set_stage step changed it. */
  stage?: string;
};

export type SimOptions = {
  /** When a CSM resolves an escalation that holds the journey: at its SLA deadline (default), or never. */
  escalationResolution?: "at_sla" | "never";
  /** Synthetic engagement: opens and clicks generated for sent touches (deterministic per touch). */
  engagement?: { openRate: number; clickRate: number };
  /** The workspace's CSMs and fallback owner: escalations are assigned by the live rule. Picks update the roster. */
  routing?: { roster: RosterCsm[]; fallbackOwner: string | null };
};

/**
 * Simulates one account over the window: it enters at each trigger its re-entry policy allows (an
 * event trigger fires at every such event), and a set_stage step changes its stage for what follows.
 */
export function simulateAccount(
  journey: JourneyDefinition,
  account: SimAccount,
  window: SimWindow,
  options: SimOptions = {},
  interesting: Set<string> = alwaysRelevantEvents(journey),
): SimAccountResult {
  const result: SimAccountResult = {
    account: account.externalId,
    enteredAt: null,
    touches: [],
    escalations: [],
    outcome: "not_enrolled",
    entries: [],
  };
  const triggers = triggerTimes(journey, account, window);
  if (triggers.length === 0) {
    result.reason = `trigger ${journey.trigger.type} does not fire in the window`;
    return result;
  }
  // The account as the run changes it (set_stage); the caller's object is left alone.
  const current: SimAccount = { ...account };
  let refused: string | undefined;
  for (const at of triggers) {
    const last = result.entries.at(-1);
    // Still running at the end of the window: no later trigger can enter it again.
    if (last && last.finishedAt === null) break;
    // A trigger while the previous run was still going is a duplicate, as it is live.
    if (last?.finishedAt && isBefore(at, last.finishedAt)) continue;
    // Re-entry first: it needs no facts, and a refused trigger among thousands of events stays cheap.
    const again = mayReenter(journey.reentry, result.entries, at);
    if (!again.enter) {
      refused ??= again.reason;
      if (journey.reentry.policy === "never") break;
      continue;
    }
    const decision = mayEnter(
      journey,
      { tier: current.tier, stage: current.stage, facts: factsAt(current, eventsUpTo(current, at), at) },
      result.entries,
      at,
    );
    if (!decision.enter) {
      refused ??= decision.reason;
      continue;
    }
    const entry = runEntry(journey, current, window, options, interesting, at, result);
    result.entries.push(entry);
  }
  const last = result.entries.at(-1);
  if (!last) {
    if (refused) result.reason = refused;
    return result;
  }
  result.enteredAt = result.entries[0]?.enteredAt ?? null;
  result.outcome = last.outcome;
  if (last.reason) result.reason = last.reason;
  const goal = result.entries.find((e) => e.goalReachedAt)?.goalReachedAt;
  if (goal) result.goalReachedAt = goal;
  if (current.stage !== account.stage) result.stage = current.stage;
  return result;
}

/** The emails a touch `to` reaches, as delivery resolves it, or undefined when contacts are unknown. */
function recipientsOf(account: SimAccount, to: string): string[] | undefined {
  if (to === "owner_csm") return account.ownerCsm ? [account.ownerCsm] : [];
  if (!account.contacts) return undefined;
  const role = to.startsWith("role:") ? to.slice("role:".length) : undefined;
  return account.contacts.filter((c) => role === undefined || c.role === role).map((c) => c.email);
}

/**
 * How a touch that names no known contact goes live: it waits up to its step's bound, then is
 * skipped; undefined when it does not wait (the owner CSM, or a bound of PT0S) and is skipped at once.
 */
function recipientWait(command: Extract<Command, { type: "send" }>, at: string): RecipientWait | undefined {
  if (!waitsForRecipients(command.to)) return undefined;
  const until = recipientWaitUntil(at, command.waitForRecipients);
  if (!isBefore(at, until)) return undefined;
  return {
    status: WAITING_FOR_RECIPIENTS,
    bound: command.waitForRecipients ?? DEFAULT_RECIPIENT_WAIT,
    until,
    otherwise: { status: "skipped", reason: noRecipient(command.to) },
  };
}

/** One enrollment from `enteredAt` to its end or the end of the window; touches go into `result`. */
function runEntry(
  journey: JourneyDefinition,
  account: SimAccount,
  window: SimWindow,
  options: SimOptions,
  interesting: Set<string>,
  enteredAt: string,
  result: SimAccountResult,
): SimEntry {
  const entryNumber = result.entries.length + 1;
  // `cursor`: events up to "now" (what facts may see); `scan`: the next event the run may react to.
  const events = account.events;
  let cursor = eventsUpTo(account, enteredAt);
  const catchUp = (at: string) => {
    const ms = Date.parse(at);
    while (cursor < events.length && (events[cursor]?.ms ?? Number.POSITIVE_INFINITY) <= ms) cursor++;
  };
  let scan = cursor;

  // Opens and clicks the simulated touches cause, merged into the account's own events. They belong
  // to this run: any still pending when it ends are dropped with it.
  const injected: SimEvent[] = [];
  let escalatedAt: SimEscalation | undefined;
  // The end of the latest wait for recipients: live, the run sleeps in it, so nothing happens before.
  let heldUntil: string | undefined;
  const absorb = (transition: Transition, at: string): RunState => {
    let current = transition;
    for (;;) {
      let needsFacts = false;
      for (const command of current.commands) {
        if (command.type === "load_facts") needsFacts = true;
        else record(command, at);
      }
      if (!needsFacts) return current.state;
      current = step(journey, current.state, { type: "facts", at, facts: factsAt(account, cursor, at) });
    }
  };
  // The live rule (assignment.ts); without a roster, only the step's own assignee is known.
  const assigneeOf = (assignee: string): string | null => {
    const explicit = stepAssignee(assignee, account.ownerCsm);
    if (!options.routing) return explicit;
    const { roster, fallbackOwner } = options.routing;
    const choice = chooseAssignee({ explicit, tier: account.tier }, roster, fallbackOwner);
    if (choice.via === "round_robin" && choice.assignee) recordPick(roster, choice.assignee);
    return choice.assignee;
  };
  const record = (command: Command, at: string) => {
    if (command.type === "send") {
      // A touch after one waiting for recipients is carried out when that wait ends, as live.
      const due = heldUntil && isBefore(at, heldUntil) ? heldUntil : at;
      const recipients = recipientsOf(account, command.to);
      const wait = recipients?.length === 0 ? recipientWait(command, due) : undefined;
      if (wait) heldUntil = wait.until;
      result.touches.push({
        at: due,
        stepId: command.stepId,
        channel: command.channel,
        template: command.template,
        to: command.to,
        ...(recipients ? { recipients } : {}),
        ...(wait ? { waitingForRecipients: wait } : {}),
      });
      const engagement = options.engagement;
      // No one opens a touch that reached no one.
      if (engagement && recipients?.length !== 0) {
        // The first entry keeps the key it always had, so single-entry results do not change.
        const key = entryNumber === 1 ? command.touchKey : `${command.touchKey}#${entryNumber}`;
        const roll = hashUnit(`${account.externalId}:${key}`);
        const properties = { stepId: command.stepId };
        if (roll < engagement.clickRate)
          injected.push(simEvent(addDuration(due, "PT3H"), "message_clicked", { properties }));
        else if (roll < engagement.openRate)
          injected.push(simEvent(addDuration(due, "PT2H"), "message_opened", { properties }));
        injected.sort((a, b) => a.ms - b.ms);
      }
    } else if (command.type === "escalate") {
      escalatedAt = {
        at,
        stepId: command.stepId,
        reason: command.reason,
        priority: command.priority,
        sla: command.sla,
        assignee: assigneeOf(command.assignee),
      };
      result.escalations.push(escalatedAt);
    } else if (command.type === "set_stage") {
      account.stage = command.stage;
    }
  };

  let state = absorb(enter(journey, account.externalId, enteredAt), enteredAt);
  while (state.status === "waiting" || state.status === "running") {
    const wait = state.wait;
    let wakeAt: string | undefined;
    let wakeInput: Input | undefined;
    if (wait?.kind === "timer" || wait?.kind === "event") {
      wakeAt = wait.until;
      wakeInput = { type: "timer", at: wait.until };
    } else if (wait?.kind === "escalation" && options.escalationResolution !== "never") {
      wakeAt = escalatedAt ? addDuration(escalatedAt.at, escalatedAt.sla) : undefined;
      if (wakeAt)
        wakeInput = {
          type: "escalation_resolved",
          at: wakeAt,
          escalationKey: wait.escalationKey,
          resume: true,
        };
    }
    // A timer that fell due while the run waited for recipients fires when that wait ends.
    if (wakeAt && wakeInput && heldUntil && isBefore(wakeAt, heldUntil)) {
      wakeAt = heldUntil;
      wakeInput = { ...wakeInput, at: heldUntil };
    }
    // The next event the run reacts to, from the account's timeline or the injected engagement.
    // Only events that can change this run are fed to it: the awaited one and the always-relevant ones.
    // The scan never passes the next wake-up: what is irrelevant now may be awaited after it.
    const awaited = wait?.kind === "event" ? wait.event : undefined;
    const wakeMs = wakeAt ? Date.parse(wakeAt) : Number.POSITIVE_INFINITY;
    while (scan < events.length) {
      const e = events[scan];
      if (!e || e.ms >= wakeMs || e.name === awaited || interesting.has(e.name)) break;
      scan++;
    }
    const candidate = events[scan];
    const own =
      candidate && (candidate.name === awaited || interesting.has(candidate.name)) ? candidate : undefined;
    const extra = injected[0];
    const event = own && extra ? (extra.ms < own.ms ? extra : own) : (own ?? extra);

    if (event && (!wakeAt || isBefore(event.at, wakeAt)) && isBefore(event.at, window.to)) {
      if (event === own) scan++;
      else injected.shift();
      catchUp(event.at);
      state = absorb(
        step(journey, state, {
          type: "event",
          at: event.at,
          name: event.name,
          properties: event.properties ?? {},
        }),
        event.at,
      );
      continue;
    }
    if (!wakeAt || !wakeInput || !isBefore(wakeAt, window.to)) break;
    catchUp(wakeAt);
    state = absorb(step(journey, state, wakeInput), wakeAt);
  }

  const finished = state.status === "completed" || state.status === "exited";
  return {
    enteredAt,
    finishedAt: finished ? (state.finishedAt ?? enteredAt) : null,
    outcome: state.status === "completed" ? "completed" : state.status === "exited" ? "exited" : "active",
    ...(state.exitReason ? { reason: state.exitReason } : {}),
    ...(state.goalReachedAt ? { goalReachedAt: state.goalReachedAt } : {}),
  };
}
