import { parse as parseDuration } from "tinyduration";
import { z } from "zod";

/** The journey language's smallest words: tiers, stages, bands, durations, ids and keys. */

export const tiers = ["high_touch", "low_touch", "tech_touch"] as const;
export const stages = ["onboarding", "adoption", "expansion", "renewal", "churned"] as const;
export const healthBands = ["red", "yellow", "green"] as const;

export const Tier = z.enum(tiers);
export const Stage = z.enum(stages);
export const HealthBand = z.enum(healthBands);

/** True when `value` is an ISO-8601 duration such as P3D, PT12H or P1M. */
export function isIsoDuration(value: string, { signed = false } = {}): boolean {
  try {
    const parsed = parseDuration(value);
    return signed || !parsed.negative;
  } catch {
    return false;
  }
}

/**
 * ISO-8601 durations are checked by the validator, not here, so a draft with a typo still saves and
 * publish reports it with its pointer.
 */
export const Duration = z.string().min(1).describe("ISO-8601 duration, e.g. P3D, PT12H, P1M");
export const SignedDuration = z.string().min(1).describe("ISO-8601 duration, optionally negative: -P120D");

export const StepId = z
  .string()
  .regex(/^[A-Za-z][\w-]{0,63}$/, "must start with a letter and use letters, digits, _ or - (max 64)");
export const EventName = z.string().min(1).max(200);
export const TemplateKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, "must be lower-case letters, digits, _ or -");
