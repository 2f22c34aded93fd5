import { z } from "zod";
import { Condition } from "./condition-schema";
import { Duration, EventName, HealthBand, Stage, Tier } from "./primitives";
import { Step } from "./step-schema";

/**
 * The journey language: one zod schema per concept, types inferred from it. Pure (no I/O), so the
 * Temporal workflow, the simulator, the API and the CLI all share it. Its words are in
 * primitives.ts, its steps in step-schema.ts.
 */

export * from "./primitives";
export * from "./step-schema";

// Descriptions (`.meta`) are what editors show and what docs/guide/journey-reference.md is generated
// from (`npm run gen`); an `id` makes the concept a named definition of the JSON Schema and the OpenAPI document.

export {
  Comparison,
  ComparisonOp,
  Condition,
  Fact,
  factPattern,
  namedFacts,
  unknownFactMessage,
} from "./condition-schema";

// ── Triggers ────────────────────────────────────────────────────────────────────────────────────

export const Trigger = z
  .discriminatedUnion("type", [
    z
      .strictObject({ type: z.literal("stage_entered"), stage: Stage })
      .meta({ description: "When an account's lifecycle stage changes to `stage`." }),
    z
      .strictObject({ type: z.literal("event"), event: EventName })
      .meta({ description: "When an event named `event` is ingested for the account." }),
    z
      .strictObject({ type: z.literal("health_band_entered"), band: HealthBand })
      .meta({ description: "When a health computation moves the account into `band` from another band." }),
    z
      .strictObject({
        type: z.literal("renewal_window"),
        daysBefore: z.number().int().min(1).max(730).describe("Enter this many days before renewalDate"),
      })
      .meta({
        description:
          "When the account's renewal date is `daysBefore` days away or less, found by a daily scan of the workspace.",
      }),
    z.strictObject({ type: z.literal("manual") }).meta({
      description: "Only when enrolled through the API (`POST /v1/enrollments`) or a bulk enrollment.",
    }),
  ])
  .meta({ id: "Trigger", description: "What enrolls an account; `type` says which kind." });
export type Trigger = z.infer<typeof Trigger>;

export const Audience = z
  .strictObject({
    tiers: z
      .array(Tier)
      .min(1)
      .optional()
      .meta({ description: "Only accounts of these tiers; default all." }),
    stages: z
      .array(Stage)
      .min(1)
      .optional()
      .meta({ description: "Only accounts in these lifecycle stages; default all." }),
    where: Condition.optional().meta({ description: "Only accounts for which this condition holds." }),
  })
  .meta({
    id: "Audience",
    description:
      "Which triggered accounts may enter; every rule given must hold. Checked when the trigger fires.",
  });
export type Audience = z.infer<typeof Audience>;

export const Reentry = z
  .discriminatedUnion("policy", [
    z
      .strictObject({ policy: z.literal("never") })
      .meta({ description: "An account enters the journey once, ever." }),
    z
      .strictObject({ policy: z.literal("after_exit") })
      .meta({ description: "An account may enter again once its previous enrollment has finished." }),
    z
      .strictObject({ policy: z.literal("cooldown"), cooldown: Duration })
      .meta({ description: "An account may enter again `cooldown` after its previous enrollment finished." }),
  ])
  .meta({
    id: "Reentry",
    description:
      "Whether an account that was enrolled before may enter again. An account never has two active enrollments in one journey.",
  });
export type Reentry = z.infer<typeof Reentry>;

export const ExitCriterion = z
  .union([
    z
      .strictObject({ event: EventName })
      .meta({ description: "Exit as soon as an event of this name arrives for the account." }),
    z
      .strictObject({
        if: Condition,
        reason: z
          .string()
          .max(200)
          .optional()
          .meta({ description: "The exit reason recorded (default `exit_condition`)." }),
      })
      .meta({ description: "Exit when the condition holds, checked whenever the enrollment wakes up." }),
  ])
  .meta({ id: "ExitCriterion", description: "Ends the enrollment early (status `exited`)." });
export type ExitCriterion = z.infer<typeof ExitCriterion>;

export const Goal = z
  .strictObject({
    event: EventName.meta({ description: "The event that means the journey reached its goal." }),
    exit: z
      .boolean()
      .default(true)
      .meta({ description: "Whether reaching the goal ends the enrollment (status `completed`)." }),
  })
  .meta({
    id: "Goal",
    description: "The outcome the journey is for; counted in the journey's stats and the simulator.",
  });
export type Goal = z.infer<typeof Goal>;

export const JourneyKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, "must be lower-case letters, digits, _ or - (max 100)");

/**
 * A journey definition: what CS Ops write, save as a draft and publish as an immutable version.
 * `$schema` lets a file name its JSON Schema for editors; it is accepted and dropped.
 */
export const JourneyDefinition = z
  .strictObject({
    $schema: z
      .string()
      .optional()
      .meta({ description: "The JSON Schema this file follows, for editors; ignored." }),
    key: JourneyKey.meta({
      description: "Unique in the workspace; the key in the API path. Lower-case, digits, _ or -.",
    }),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    trigger: Trigger,
    audience: Audience.default({}),
    reentry: Reentry.default({ policy: "never" }),
    exitWhen: z
      .array(ExitCriterion)
      .default([])
      .meta({ description: "Any one of these ends the enrollment early." }),
    goal: Goal.optional(),
    steps: z.array(Step).min(1).meta({
      description: "Run in order from the first, unless a step says where to go (`next`, `then`, …).",
    }),
  })
  .transform(({ $schema: _, ...journey }) => journey)
  .meta({
    id: "JourneyDefinition",
    description:
      "A journey: which accounts enter (trigger, audience, re-entry), the steps they go through, and what ends it (exitWhen, goal, the last step).",
  });
export type JourneyDefinition = z.infer<typeof JourneyDefinition>;
/** What an author writes: defaults not yet applied. */
export type JourneyDefinitionInput = z.input<typeof JourneyDefinition>;
