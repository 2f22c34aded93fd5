import { parse as parseDuration } from "tinyduration";
import { isIsoDuration, type JourneyDefinition } from "./schema";
import { addDuration } from "./time";
import type { Found, Path } from "./validate-problems";

export function durationProblems(journey: JourneyDefinition): Found[] {
  const problems: Found[] = [];
  const check = (value: string | undefined, path: Path, signed = false, zero = false) => {
    const message = value === undefined ? undefined : durationProblem(value, signed, zero);
    if (message !== undefined) problems.push({ path, message, rule: "bad_duration" });
  };
  if (journey.reentry.policy === "cooldown") check(journey.reentry.cooldown, ["reentry", "cooldown"]);
  journey.steps.forEach((step, index) => {
    const at = (...rest: Path): Path => ["steps", index, ...rest];
    if (step.type === "wait") {
      check(step.duration, at("duration"));
      check(step.until?.offset, at("until", "offset"), true);
    }
    if (step.type === "wait_for_event") check(step.timeout, at("timeout"));
    if (step.type === "escalate") check(step.sla, at("sla"));
    // PT0S is allowed here: a touch that does not wait for its contacts.
    if (step.type === "email" || step.type === "in_app")
      check(step.waitForRecipients, at("waitForRecipients"), false, true);
  });
  return problems;
}

/** Past that, dates leave what the runtime and the database can hold (P999999999D is a RangeError). */
function withinACentury(duration: string): boolean {
  try {
    return addDuration("2000-01-01T00:00:00Z", duration) <= "2100-01-01T00:00:00.000Z";
  } catch {
    return false;
  }
}

function durationProblem(value: string, signed: boolean, zero: boolean): string | undefined {
  // tinyduration accepts a dangling time designator ("P1DT"); ISO-8601 does not.
  if (!isIsoDuration(value, { signed: true }) || value.endsWith("T")) {
    return `"${value}" is not an ISO-8601 duration (e.g. P3D, PT12H, P1M${signed ? ", -P120D" : ""})`;
  }
  if (!withinACentury(value.replace(/^-/, ""))) return `"${value}" is longer than 100 years`;
  if (signed) return undefined;
  if (!isIsoDuration(value)) return `"${value}" must not be negative`;
  const { years, months, weeks, days, hours, minutes, seconds } = parseDuration(value);
  if (!zero && [years, months, weeks, days, hours, minutes, seconds].every((part) => !part)) {
    return `"${value}" must be longer than zero`;
  }
  return undefined;
}
