import { z } from "zod";
import { Condition } from "./condition-schema";
import { Duration, EventName, SignedDuration, Stage, StepId, TemplateKey } from "./primitives";

/** The journey language's steps: one schema per step type, and the union of them all. */

/** Who receives a touch: contacts of the account by role, every contact, or the owning CSM. */
export const Recipient = z
  .string()
  .regex(
    /^(role:(admin|champion|decision_maker|user)|all_contacts|owner_csm)$/,
    "must be role:<admin|champion|decision_maker|user>, all_contacts or owner_csm",
  )
  .meta({
    description:
      "Who receives it: `role:admin`, `role:champion`, `role:decision_maker` or `role:user` (the account's contacts with that role), `all_contacts`, or `owner_csm` (the account's CSM).",
  });

const stepId = StepId.meta({
  description: "Unique within the journey; other steps name it in `next`, `then`, …",
});
const stepLabel = z
  .string()
  .max(200)
  .optional()
  .meta({ description: "A human name shown in stats and traces." });
const stepBase = {
  id: stepId,
  next: StepId.nullable().optional().meta({
    description: "The step that runs next; default the following step. `null` ends the journey here.",
  }),
  label: stepLabel,
};
const touchTemplate = TemplateKey.meta({
  description: "The key of a template of this step's channel (a workspace template or a file template).",
});

/**
 * How long a touch whose contacts do not exist yet waits for them (a CRM sync writes the account
 * first): a contact saved for the account wakes it; past the bound it records `no recipient`.
 */
export const RecipientWait = Duration.describe(
  "ISO-8601 duration a touch waits for contacts that do not exist yet (default PT24H; PT0S: not at all)",
);
export const DEFAULT_RECIPIENT_WAIT = "PT24H";

export const EmailStep = z
  .strictObject({
    ...stepBase,
    type: z.literal("email"),
    template: touchTemplate,
    to: Recipient,
    waitForRecipients: RecipientWait.optional(),
  })
  .meta({
    id: "EmailStep",
    description: "Sends an email, subject to the delivery policy (unsubscribes, frequency cap, quiet hours).",
  });
export const InAppStep = z
  .strictObject({
    ...stepBase,
    type: z.literal("in_app"),
    template: touchTemplate,
    to: Recipient,
    waitForRecipients: RecipientWait.optional(),
  })
  .meta({
    id: "InAppStep",
    description:
      "Posts an in-app message, shown by the widget, subject to the same delivery policy as email.",
  });
export const DateFact = z.enum(["renewal_date", "contract_start"]);
/** Waits a duration, or until a date fact of the account moved by an offset (e.g. 120 days before renewal). */
export const WaitStep = z
  .strictObject({
    ...stepBase,
    type: z.literal("wait"),
    duration: Duration.optional().meta({ description: "How long to wait, e.g. P3D (ISO-8601)." }),
    until: z
      .strictObject({
        fact: DateFact.meta({ description: "The account's date to wait for." }),
        offset: SignedDuration.optional().meta({
          description: "Moves the date, e.g. -P120D for 120 days before it (ISO-8601, may be negative).",
        }),
      })
      .optional()
      .meta({
        description:
          "Wait until the start (UTC) of this date of the account, moved by `offset`. A date already past, or missing, does not wait (the trace says why).",
      }),
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
  })
  .meta({
    id: "WaitStep",
    description:
      "Pauses the enrollment: for a `duration`, or `until` a date of the account (exactly one of the two).",
  });
export const WaitForEventStep = z
  .strictObject({
    ...stepBase,
    type: z.literal("wait_for_event"),
    event: EventName.meta({
      description: "The event to wait for; when it arrives the journey goes on to `next`.",
    }),
    timeout: Duration.meta({ description: "How long to wait for it (ISO-8601)." }),
    onTimeout: StepId.meta({ description: "The step to go to when the event has not arrived in time." }),
  })
  .meta({ id: "WaitForEventStep", description: "Waits for an event of the account, at most `timeout`." });
export const BranchStep = z
  .strictObject({
    id: stepId,
    label: stepLabel,
    type: z.literal("branch"),
    if: Condition.meta({ description: "Evaluated over the account's facts when the step runs." }),
    then: StepId.meta({ description: "The step to go to when the condition holds." }),
    else: StepId.meta({ description: "The step to go to otherwise." }),
  })
  .meta({ id: "BranchStep", description: "Goes one of two ways depending on a condition." });
export const SplitStep = z
  .strictObject({
    id: stepId,
    label: stepLabel,
    type: z.literal("split"),
    branches: z
      .array(
        z.strictObject({
          percent: z
            .number()
            .int()
            .min(0)
            .max(100)
            .meta({ description: "Share of accounts; all must add up to 100." }),
          next: StepId.meta({ description: "The step this branch goes to." }),
          name: z.string().optional().meta({ description: "The variant's name, shown in traces." }),
        }),
      )
      .min(2),
  })
  .meta({
    id: "SplitStep",
    description:
      "An A/B split: each account goes down one branch, chosen by a hash of the journey key, the step id and the account id, so the same account always takes the same branch.",
  });
export const EscalateStep = z
  .strictObject({
    ...stepBase,
    type: z.literal("escalate"),
    reason: z
      .string()
      .min(1)
      .max(500)
      .meta({ description: "What the CSM reads: why the account needs a human." }),
    priority: z
      .enum(["low", "medium", "high", "urgent"])
      .default("medium")
      .meta({ description: "Shown to the CSM with the escalation and in its notifications." }),
    sla: Duration.meta({ description: "How soon the CSM should act (ISO-8601), e.g. P2D." }),
    assignee: z
      .union([z.literal("owner_csm"), z.email()])
      .default("owner_csm")
      .meta({ description: "Who gets it: the account's owning CSM (default) or a CSM by email." }),
    waitForResolution: z
      .boolean()
      .default(false)
      .meta({ description: "Hold the journey until the CSM resolves the escalation." }),
  })
  .meta({ id: "EscalateStep", description: "Opens an escalation for a CSM (see the escalations guide)." });
export const SetStageStep = z.strictObject({ ...stepBase, type: z.literal("set_stage"), stage: Stage }).meta({
  id: "SetStageStep",
  description: "Changes the account's lifecycle stage, which may trigger `stage_entered` journeys.",
});
export const WebhookStep = z
  .strictObject({
    ...stepBase,
    type: z.literal("webhook"),
    url: z.url({ protocol: /^https?$/ }).meta({
      description:
        "http(s) URL; private and loopback addresses are refused unless VOLANTE_OUTBOUND_ALLOW allows them.",
    }),
    payload: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "Extra JSON sent with the call." }),
  })
  .meta({ id: "WebhookStep", description: "POSTs a signed (Standard Webhooks) JSON message to a URL." });
export const ExitStep = z
  .strictObject({
    id: stepId,
    label: stepLabel,
    type: z.literal("exit"),
    reason: z
      .string()
      .max(200)
      .optional()
      .meta({ description: "The exit reason recorded (default `exit_step:<id>`)." }),
  })
  .meta({ id: "ExitStep", description: "Ends the enrollment here (status `exited`)." });

export const Step = z
  .discriminatedUnion("type", [
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
  ])
  .meta({ id: "Step", description: "One step of a journey; `type` says which kind." });
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
