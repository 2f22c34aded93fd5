import { parse as parseDuration } from "tinyduration";
import { z } from "zod";
import { didYouMean } from "./validate-problems";

/**
 * The journey language: one zod schema per concept, types inferred from it. Pure (no I/O), so the
 * Temporal workflow, the simulator, the API and the CLI all share it.
 */

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

/**
 * Facts a condition can read. Numbers: `health.score` (0–100), `deployment.ratio` (active users in 28
 * days / licenses), `adoption.active_users_28d`, `days_since_last_login`, `arr`, `licenses`,
 * `days_to_renewal`, `days_in_journey`, `event.<name>.count` (events of that name since entering);
 * strings: `health.band`, `tier`, `stage`; anything: `attributes.<key>`; booleans:
 * `touch.<stepId>.opened` / `.clicked` (outcomes of an earlier email or in-app step of this journey);
 * string: `escalation.<stepId>.resolution` (the label the CSM resolved that escalate step with).
 */
/** Facts with a fixed name. */
export const namedFacts = [
  "health.score",
  "health.band",
  "deployment.ratio",
  "adoption.active_users_28d",
  "days_since_last_login",
  "tier",
  "stage",
  "arr",
  "licenses",
  "days_to_renewal",
  "days_in_journey",
] as const;

/** Families of facts, as a reader writes them; each `<…>` is the part the journey names. */
const factFamilies = [
  {
    shape: "attributes.<key>",
    pattern: String.raw`attributes\.[\w.-]+`,
    of: (rest: string) => `attributes.${rest}`,
  },
  {
    shape: "event.<name>.count",
    pattern: String.raw`event\.[\w.:-]+\.count`,
    of: (name: string) => `event.${name}.count`,
  },
  {
    shape: "touch.<stepId>.opened",
    pattern: String.raw`touch\.[A-Za-z][\w-]*\.opened`,
    of: (id: string) => `touch.${id}.opened`,
  },
  {
    shape: "touch.<stepId>.clicked",
    pattern: String.raw`touch\.[A-Za-z][\w-]*\.clicked`,
    of: (id: string) => `touch.${id}.clicked`,
  },
  {
    shape: "escalation.<stepId>.resolution",
    pattern: String.raw`escalation\.[A-Za-z][\w-]*\.resolution`,
    of: (id: string) => `escalation.${id}.resolution`,
  },
] as const;

export const factPattern = new RegExp(
  `^(${[...namedFacts.map((name) => name.replaceAll(".", "\\.")), ...factFamilies.map((f) => f.pattern)].join("|")})$`,
);

/**
 * `"helth.score" is not a known fact (did you mean "health.score"?); known facts: …`: the nearest
 * fact, trying each family with the part the writer gave (`touch.welcome.open` → `touch.welcome.opened`).
 */
export function unknownFactMessage(value: unknown): string {
  const known = `known facts: ${[...namedFacts, ...factFamilies.map((f) => f.shape)].join(", ")}`;
  if (typeof value !== "string") return `is not a known fact; ${known}`;
  const parts = value.split(".");
  const middle = parts.length > 2 ? parts.slice(1, -1).join(".") : (parts[1] ?? "");
  const rest = parts.slice(1).join(".");
  const candidates = [
    ...namedFacts,
    ...factFamilies.flatMap((f) =>
      rest ? [f.of(f.shape.startsWith("attributes") ? rest : middle || rest)] : [],
    ),
  ];
  return `${JSON.stringify(value)} is not a known fact${didYouMean(value, candidates)}; ${known}`;
}

export const Fact = z.string().regex(factPattern, { error: (issue) => unknownFactMessage(issue.input) });

export const ComparisonOp = z.enum([
  "eq",
  "ne",
  "lt",
  "lte",
  "gt",
  "gte",
  "in",
  "not_in",
  "exists",
  "not_exists",
]);

export type Condition =
  | { fact: string; op: z.infer<typeof ComparisonOp>; value?: unknown }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const Comparison = z.strictObject({
  fact: Fact,
  op: ComparisonOp,
  value: z
    .union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))])
    .optional(),
});

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    Comparison,
    z.strictObject({ all: z.array(Condition).min(1) }),
    z.strictObject({ any: z.array(Condition).min(1) }),
    z.strictObject({ not: Condition }),
  ]),
);

// ── Triggers ────────────────────────────────────────────────────────────────────────────────────

export const Trigger = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("stage_entered"), stage: Stage }),
  z.strictObject({ type: z.literal("event"), event: EventName }),
  z.strictObject({ type: z.literal("health_band_entered"), band: HealthBand }),
  z.strictObject({
    type: z.literal("renewal_window"),
    daysBefore: z.number().int().min(1).max(730).describe("Enter this many days before renewalDate"),
  }),
  z.strictObject({ type: z.literal("manual") }),
]);
export type Trigger = z.infer<typeof Trigger>;

export const Audience = z.strictObject({
  tiers: z.array(Tier).min(1).optional(),
  stages: z.array(Stage).min(1).optional(),
  where: Condition.optional(),
});
export type Audience = z.infer<typeof Audience>;

export const Reentry = z.discriminatedUnion("policy", [
  z.strictObject({ policy: z.literal("never") }),
  z.strictObject({ policy: z.literal("after_exit") }),
  z.strictObject({ policy: z.literal("cooldown"), cooldown: Duration }),
]);
export type Reentry = z.infer<typeof Reentry>;

export const ExitCriterion = z.union([
  z.strictObject({ event: EventName }),
  z.strictObject({ if: Condition, reason: z.string().max(200).optional() }),
]);
export type ExitCriterion = z.infer<typeof ExitCriterion>;

export const Goal = z.strictObject({
  event: EventName,
  /** Whether reaching the goal ends the enrollment (default true). */
  exit: z.boolean().default(true),
});
export type Goal = z.infer<typeof Goal>;

// ── Steps ───────────────────────────────────────────────────────────────────────────────────────

/** Who receives a touch: contacts of the account by role, every contact, or the owning CSM. */
export const Recipient = z
  .string()
  .regex(
    /^(role:(admin|champion|decision_maker|user)|all_contacts|owner_csm)$/,
    "must be role:<admin|champion|decision_maker|user>, all_contacts or owner_csm",
  );

const stepBase = {
  id: StepId,
  /** Defaults to the following step; `null` ends the journey after this step. */
  next: StepId.nullable().optional(),
  label: z.string().max(200).optional(),
};

/**
 * How long a touch whose contacts do not exist yet waits for them (a CRM sync writes the account
 * first): a contact saved for the account wakes it; past the bound it records `no recipient`.
 */
export const RecipientWait = Duration.describe(
  "ISO-8601 duration a touch waits for contacts that do not exist yet (default PT24H; PT0S: not at all)",
);
export const DEFAULT_RECIPIENT_WAIT = "PT24H";

export const EmailStep = z.strictObject({
  ...stepBase,
  type: z.literal("email"),
  template: TemplateKey,
  to: Recipient,
  waitForRecipients: RecipientWait.optional(),
});
export const InAppStep = z.strictObject({
  ...stepBase,
  type: z.literal("in_app"),
  template: TemplateKey,
  to: Recipient,
  waitForRecipients: RecipientWait.optional(),
});
export const DateFact = z.enum(["renewal_date", "contract_start"]);
/** Waits a duration, or until a date fact of the account moved by an offset (e.g. 120 days before renewal). */
export const WaitStep = z
  .strictObject({
    ...stepBase,
    type: z.literal("wait"),
    duration: Duration.optional(),
    until: z.strictObject({ fact: DateFact, offset: SignedDuration.optional() }).optional(),
  })
  .check((ctx) => {
    const { duration, until } = ctx.value;
    if ((duration === undefined) === (until === undefined)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        path: duration === undefined ? [] : ["until"],
        message: "a wait needs exactly one of `duration` or `until`",
      });
    }
  });
export const WaitForEventStep = z.strictObject({
  ...stepBase,
  type: z.literal("wait_for_event"),
  event: EventName,
  timeout: Duration,
  onTimeout: StepId,
});
export const BranchStep = z.strictObject({
  id: StepId,
  label: stepBase.label,
  type: z.literal("branch"),
  if: Condition,
  then: StepId,
  else: StepId,
});
export const SplitStep = z.strictObject({
  id: StepId,
  label: stepBase.label,
  type: z.literal("split"),
  branches: z
    .array(
      z.strictObject({
        percent: z.number().int().min(0).max(100),
        next: StepId,
        name: z.string().optional(),
      }),
    )
    .min(2),
});
export const EscalateStep = z.strictObject({
  ...stepBase,
  type: z.literal("escalate"),
  reason: z.string().min(1).max(500),
  priority: z.enum(["low", "medium", "high", "urgent"]).default("medium"),
  sla: Duration,
  /** Who gets it: the account's owning CSM (default) or a CSM by email. */
  assignee: z.union([z.literal("owner_csm"), z.email()]).default("owner_csm"),
  /** Hold the journey until the CSM resolves the escalation. */
  waitForResolution: z.boolean().default(false),
});
export const SetStageStep = z.strictObject({ ...stepBase, type: z.literal("set_stage"), stage: Stage });
export const WebhookStep = z.strictObject({
  ...stepBase,
  type: z.literal("webhook"),
  url: z.url({ protocol: /^https?$/ }),
  payload: z.record(z.string(), z.unknown()).optional(),
});
export const ExitStep = z.strictObject({
  id: StepId,
  label: stepBase.label,
  type: z.literal("exit"),
  reason: z.string().max(200).optional(),
});

export const Step = z.discriminatedUnion("type", [
  EmailStep,
  InAppStep,
  WaitStep,
  WaitForEventStep,
  BranchStep,
  SplitStep,
  EscalateStep,
  SetStageStep,
  WebhookStep,
  ExitStep,
]);
export type Step = z.infer<typeof Step>;
export type StepType = Step["type"];
export type StepOf<T extends StepType> = Extract<Step, { type: T }>;
export const stepTypes = [
  "email",
  "in_app",
  "wait",
  "wait_for_event",
  "branch",
  "split",
  "escalate",
  "set_stage",
  "webhook",
  "exit",
] as const satisfies readonly StepType[];

export const JourneyKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, "must be lower-case letters, digits, _ or - (max 100)");

/** A journey definition: what CS Ops write, save as a draft and publish as an immutable version. */
export const JourneyDefinition = z.strictObject({
  key: JourneyKey,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  trigger: Trigger,
  audience: Audience.default({}),
  reentry: Reentry.default({ policy: "never" }),
  exitWhen: z.array(ExitCriterion).default([]),
  goal: Goal.optional(),
  steps: z.array(Step).min(1),
});
export type JourneyDefinition = z.infer<typeof JourneyDefinition>;
/** What an author writes: defaults not yet applied. */
export type JourneyDefinitionInput = z.input<typeof JourneyDefinition>;
