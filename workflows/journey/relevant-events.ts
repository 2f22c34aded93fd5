import type { JourneyDefinition } from "./schema";

/** Event names a run of this journey reacts to; everything else is skipped (and, live, never routed). */
export function eventsOfInterest(journey: JourneyDefinition): Set<string> {
  const names = alwaysRelevantEvents(journey);
  for (const s of journey.steps) if (s.type === "wait_for_event") names.add(s.event);
  return names;
}

/** Events that matter whatever step a run is at: exits, the goal, touch outcomes, counted events. */
export function alwaysRelevantEvents(journey: JourneyDefinition): Set<string> {
  const names = new Set<string>(["message_opened", "message_clicked"]);
  for (const c of journey.exitWhen) if ("event" in c) names.add(c.event);
  if (journey.goal) names.add(journey.goal.event);
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      const fact = (value as { fact?: unknown }).fact;
      const counted = typeof fact === "string" ? /^event\.(.+)\.count$/.exec(fact) : null;
      if (counted?.[1]) names.add(counted[1]);
      Object.values(value).forEach(visit);
    }
  };
  for (const s of journey.steps) if (s.type === "branch") visit(s.if);
  for (const c of journey.exitWhen) if ("if" in c) visit(c.if);
  return names;
}
