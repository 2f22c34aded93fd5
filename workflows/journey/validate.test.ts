import { describe, expect, it } from "vitest";
import type { JourneyDefinitionInput } from "./schema";
import { formatProblems, type ValidationRule, validateJourney } from "./validate";
import type { TemplateInfo } from "./variables";

/** DESIGN.md §3, minus `reentry` so the default shows. */
const example = {
  key: "onboarding-tech-touch",
  name: "Onboarding (tech touch)",
  trigger: { type: "stage_entered", stage: "onboarding" },
  audience: { tiers: ["tech_touch", "low_touch"] },
  exitWhen: [{ event: "onboarding_completed" }],
  goal: { event: "first_value" },
  steps: [
    { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
    { id: "d3", type: "wait", duration: "P3D" },
    {
      id: "seats",
      type: "branch",
      if: { fact: "deployment.ratio", op: "lt", value: 0.8 },
      then: "invite",
      else: "login",
    },
    { id: "invite", type: "in_app", template: "invite-your-team", to: "role:admin" },
    { id: "login", type: "wait_for_event", event: "login", timeout: "P7D", onTimeout: "call" },
    {
      id: "call",
      type: "escalate",
      reason: "No login 7 days after welcome",
      priority: "high",
      sla: "P2D",
      waitForResolution: true,
    },
    { id: "adopt", type: "set_stage", stage: "adoption" },
  ],
} satisfies JourneyDefinitionInput;

const catalog = new Map<string, TemplateInfo>(
  [
    {
      key: "onboarding-welcome",
      channel: "email",
      // The workspace identity is there for bodies too, not only for the layout.
      variables: [
        "contact.firstName",
        "account.name",
        "links.app",
        "workspace.productName",
        "workspace.supportUrl",
      ],
    },
    {
      key: "invite-your-team",
      channel: "in_app",
      variables: ["account.licenses", "contact.attributes.team"],
    },
    {
      key: "invite-typos",
      channel: "in_app",
      variables: ["account.nmae", "account.name", "deal.owner", "account.nmae"],
    },
  ].map((template): [string, TemplateInfo] => [template.key, template as TemplateInfo]),
);
const templates = (key: string) => catalog.get(key);

/** A journey as submitted: plain JSON, free to be wrong. */
type Draft = Record<string, unknown> & { steps: Record<string, unknown>[] };

function draft(edit: (journey: Draft) => void = () => {}): Draft {
  const journey = structuredClone(example) as unknown as Draft;
  edit(journey);
  return journey;
}

function step(journey: Draft, index: number): Record<string, unknown> {
  const found = journey.steps[index];
  if (found === undefined) throw new Error(`no step ${index}`);
  return found;
}

describe("validateJourney", () => {
  it("accepts the DESIGN.md example and applies defaults", () => {
    const result = validateJourney(draft(), templates);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.journey.reentry).toEqual({ policy: "never" });
    expect(result.journey.steps[5]).toMatchObject({
      id: "call",
      assignee: "owner_csm",
      waitForResolution: true,
    });
    expect(result.journey.goal).toEqual({ event: "first_value", exit: true });
  });

  it("accepts the `$schema` an editor reads and leaves it out of the parsed journey", () => {
    const result = validateJourney({ $schema: "../../schemas/journey.schema.json", ...draft() }, templates);
    expect(result.problems).toEqual([]);
    expect(result.ok && "$schema" in result.journey).toBe(false);
  });

  it.each<{
    name: string;
    edit: (journey: Draft) => void;
    expected: { pointer: string; rule: ValidationRule }[];
    mentions?: string;
  }>([
    {
      name: "a duplicate step id, at its second occurrence",
      edit: (j) => Object.assign(step(j, 6), { id: "invite" }),
      expected: [{ pointer: "/steps/6/id", rule: "duplicate_step_id" }],
      mentions: 'duplicate step id "invite" (first used by /steps/3)',
    },
    {
      name: "a branch target that does not exist, and the step it orphans",
      edit: (j) => Object.assign(step(j, 2), { then: "invte" }),
      expected: [
        { pointer: "/steps/2/then", rule: "unknown_target" },
        { pointer: "/steps/3", rule: "unreachable_step" },
      ],
      mentions: 'unknown step "invte" (did you mean "invite"?)',
    },
    {
      name: "an unknown onTimeout target",
      edit: (j) => Object.assign(step(j, 4), { onTimeout: "nowhere" }),
      expected: [{ pointer: "/steps/4/onTimeout", rule: "unknown_target" }],
    },
    {
      name: "an unknown split branch target",
      edit: (j) => {
        j.steps[2] = {
          id: "seats",
          type: "split",
          branches: [
            { percent: 50, next: "invite" },
            { percent: 50, next: "logn" },
          ],
        };
      },
      // `login` still follows `invite`, so nothing is orphaned.
      expected: [{ pointer: "/steps/2/branches/1/next", rule: "unknown_target" }],
      mentions: '(did you mean "login"?)',
    },
    {
      name: "a step after an explicit end",
      edit: (j) => {
        Object.assign(step(j, 6), { next: null });
        j.steps.push({ id: "bye", type: "exit" });
      },
      expected: [{ pointer: "/steps/7", rule: "unreachable_step" }],
      mentions: 'step "bye" is unreachable from the first step "welcome"',
    },
    {
      name: "a loop with no step that holds time",
      edit: (j) => Object.assign(step(j, 3), { next: "seats" }),
      expected: [{ pointer: "/steps/2", rule: "loop_without_wait" }],
      mentions: "seats → invite → seats",
    },
    {
      name: "a step that leads back to itself",
      edit: (j) => Object.assign(step(j, 6), { next: "adopt" }),
      expected: [{ pointer: "/steps/6", rule: "loop_without_wait" }],
      mentions: "adopt → adopt",
    },
    {
      name: "a loop through an escalation that does not wait for resolution",
      edit: (j) => {
        Object.assign(step(j, 5), { waitForResolution: false });
        Object.assign(step(j, 6), { next: "call" });
      },
      expected: [{ pointer: "/steps/5", rule: "loop_without_wait" }],
      mentions: "call → adopt → call",
    },
    {
      // Once the renewal date has passed the wait is skipped, so each lap sends at once.
      name: "a loop whose only wait is until a date fact",
      edit: (j) => {
        j.steps[1] = { id: "d3", type: "wait", until: { fact: "renewal_date", offset: "-P30D" } };
        Object.assign(step(j, 3), { next: "d3" });
      },
      expected: [{ pointer: "/steps/1", rule: "loop_without_wait" }],
      mentions: "d3 → seats → invite → d3",
    },
    {
      name: "an unknown template",
      edit: (j) => Object.assign(step(j, 0), { template: "onboarding-welcom" }),
      expected: [{ pointer: "/steps/0/template", rule: "unknown_template" }],
      mentions: 'unknown template "onboarding-welcom"',
    },
    {
      name: "an in_app template on an email step",
      edit: (j) => Object.assign(step(j, 0), { template: "invite-your-team" }),
      expected: [{ pointer: "/steps/0/template", rule: "template_channel" }],
      mentions: "is an in_app template; an email step needs an email template",
    },
    {
      name: "one problem per variable the journey cannot supply",
      edit: (j) => Object.assign(step(j, 3), { template: "invite-typos" }),
      expected: [
        { pointer: "/steps/3/template", rule: "unknown_variable" },
        { pointer: "/steps/3/template", rule: "unknown_variable" },
      ],
      mentions: '"account.nmae", which a journey does not supply (did you mean "account.name"?)',
    },
    {
      name: "a wait duration that is not ISO-8601",
      edit: (j) => Object.assign(step(j, 1), { duration: "3 days" }),
      expected: [{ pointer: "/steps/1/duration", rule: "bad_duration" }],
      mentions: '"3 days" is not an ISO-8601 duration',
    },
    {
      name: "a zero wait",
      edit: (j) => Object.assign(step(j, 1), { duration: "PT0S" }),
      expected: [{ pointer: "/steps/1/duration", rule: "bad_duration" }],
      mentions: "must be longer than zero",
    },
    {
      name: "a wait longer than dates can reach",
      edit: (j) => Object.assign(step(j, 1), { duration: "P999999999D" }),
      expected: [{ pointer: "/steps/1/duration", rule: "bad_duration" }],
      mentions: "longer than 100 years",
    },
    {
      name: "a wait-until offset of more than a century",
      edit: (j) => {
        j.steps[1] = { id: "d3", type: "wait", until: { fact: "renewal_date", offset: "-P200Y" } };
      },
      expected: [{ pointer: "/steps/1/until/offset", rule: "bad_duration" }],
      mentions: "longer than 100 years",
    },
    {
      name: "a negative event timeout",
      edit: (j) => Object.assign(step(j, 4), { timeout: "-P7D" }),
      expected: [{ pointer: "/steps/4/timeout", rule: "bad_duration" }],
      mentions: "must not be negative",
    },
    {
      name: "an SLA with a dangling time designator",
      edit: (j) => Object.assign(step(j, 5), { sla: "P2DT" }),
      expected: [{ pointer: "/steps/5/sla", rule: "bad_duration" }],
    },
    {
      name: "a wait-until offset that is not a duration",
      edit: (j) => {
        j.steps[1] = { id: "d3", type: "wait", until: { fact: "renewal_date", offset: "-120 days" } };
      },
      expected: [{ pointer: "/steps/1/until/offset", rule: "bad_duration" }],
    },
    {
      name: "a recipient wait that is not a duration",
      edit: (j) => Object.assign(step(j, 0), { waitForRecipients: "24h" }),
      expected: [{ pointer: "/steps/0/waitForRecipients", rule: "bad_duration" }],
      mentions: '"24h" is not an ISO-8601 duration',
    },
    {
      name: "a negative recipient wait on an in-app step",
      edit: (j) => Object.assign(step(j, 3), { waitForRecipients: "-PT1H" }),
      expected: [{ pointer: "/steps/3/waitForRecipients", rule: "bad_duration" }],
      mentions: "must not be negative",
    },
    {
      name: "a reentry cooldown of zero",
      edit: (j) => {
        j.reentry = { policy: "cooldown", cooldown: "P0D" };
      },
      expected: [{ pointer: "/reentry/cooldown", rule: "bad_duration" }],
    },
    {
      name: "split percentages that do not add up to 100",
      edit: (j) => {
        j.steps[2] = {
          id: "seats",
          type: "split",
          branches: [
            { percent: 50, next: "invite" },
            { percent: 40, next: "login" },
          ],
        };
      },
      expected: [{ pointer: "/steps/2/branches", rule: "split_total" }],
      mentions: "add up to 90, not 100",
    },
    {
      name: "a touch condition naming an unknown step, deep in a branch",
      edit: (j) =>
        Object.assign(step(j, 2), {
          if: {
            all: [
              { fact: "tier", op: "eq", value: "tech_touch" },
              {
                any: [
                  { fact: "arr", op: "gt", value: 1 },
                  { not: { fact: "touch.welcom.opened", op: "exists" } },
                ],
              },
            ],
          },
        }),
      expected: [{ pointer: "/steps/2/if/all/1/any/1/not/fact", rule: "unknown_touch_step" }],
      mentions: '(did you mean "welcome"?)',
    },
    {
      name: "a touch condition in the audience naming a step that sends nothing",
      edit: (j) => {
        j.audience = { where: { not: { fact: "touch.d3.clicked", op: "eq", value: true } } };
      },
      expected: [{ pointer: "/audience/where/not/fact", rule: "unknown_touch_step" }],
      mentions: "a wait step",
    },
    {
      name: "a touch condition in an exit criterion naming an unknown step",
      edit: (j) => {
        j.exitWhen = [
          { event: "onboarding_completed" },
          { if: { fact: "touch.nps.clicked", op: "eq", value: true } },
        ];
      },
      expected: [{ pointer: "/exitWhen/1/if/fact", rule: "unknown_touch_step" }],
    },
    {
      name: "a branch reading the resolution of a step that is not an escalation waiting for one",
      edit: (j) =>
        Object.assign(step(j, 2), {
          if: { fact: "escalation.welcome.resolution", op: "eq", value: "saved" },
        }),
      expected: [{ pointer: "/steps/2/if/fact", rule: "unknown_escalation_step" }],
      mentions: "waitForResolution",
    },
    {
      name: "a branch reading a touch that can only come after it",
      edit: (j) => Object.assign(step(j, 2), { if: { fact: "touch.invite.opened", op: "eq", value: true } }),
      expected: [{ pointer: "/steps/2/if/fact", rule: "touch_before_send" }],
    },
    {
      name: "the goal event listed again as an exit event",
      edit: (j) => {
        j.exitWhen = [{ event: "onboarding_completed" }, { event: "first_value" }];
      },
      expected: [{ pointer: "/exitWhen/1/event", rule: "goal_is_exit" }],
    },
  ])("reports $name", ({ edit, expected, mentions }) => {
    const result = validateJourney(draft(edit), templates);
    expect(result.problems.map(({ pointer, rule }) => ({ pointer, rule }))).toEqual(expected);
    expect(result.ok).toBe(false);
    // The shape was fine, so the parsed journey comes back with the problems.
    expect(result.journey?.key).toBe("onboarding-tech-touch");
    if (mentions) expect(result.problems.map((problem) => problem.message).join("\n")).toContain(mentions);
  });

  it.each<{ name: string; edit: (journey: Draft) => void }>([
    {
      name: "a loop that passes a wait",
      edit: (j) => Object.assign(step(j, 6), { next: "d3" }),
    },
    {
      name: "a negative wait-until offset",
      edit: (j) => {
        j.steps[1] = { id: "d3", type: "wait", until: { fact: "renewal_date", offset: "-P120D" } };
      },
    },
    {
      name: "a branch reading the outcome of an earlier email",
      edit: (j) =>
        Object.assign(step(j, 2), { if: { fact: "touch.welcome.clicked", op: "eq", value: false } }),
    },
    {
      name: "a split whose percentages add up to 100",
      edit: (j) => {
        j.steps[2] = {
          id: "seats",
          type: "split",
          branches: [
            { percent: 70, next: "invite" },
            { percent: 30, next: "login" },
          ],
        };
      },
    },
  ])("allows $name", ({ edit }) => {
    const result = validateJourney(draft(edit), templates);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it.each<{ name: string; condition: Record<string, unknown>; pointer: string; mentions: string }>([
    {
      name: "an unknown tier",
      condition: { fact: "tier", op: "eq", value: "platinum" },
      pointer: "/steps/2/if/value",
      mentions: "high_touch, low_touch, tech_touch",
    },
    {
      name: "a comparison without a value",
      condition: { fact: "health.score", op: "lt" },
      pointer: "/steps/2/if/value",
      mentions: "is required",
    },
    {
      name: "a number written as text",
      condition: { fact: "deployment.ratio", op: "lt", value: "0.8" },
      pointer: "/steps/2/if/value",
      mentions: '"deployment.ratio" is a number',
    },
    {
      name: "in with a single value instead of a list",
      condition: { fact: "stage", op: "in", value: "onboarding" },
      pointer: "/steps/2/if/value",
      mentions: 'needs an array of values, e.g. ["onboarding"]',
    },
    {
      name: "a list holding an unknown stage",
      condition: { fact: "stage", op: "not_in", value: ["onboarding", "adoptoin"] },
      pointer: "/steps/2/if/value/1",
      mentions: '(did you mean "adoption"?)',
    },
    {
      name: "a touch outcome compared with text",
      condition: { fact: "touch.welcome.opened", op: "eq", value: "yes" },
      pointer: "/steps/2/if/value",
      mentions: "true or false",
    },
    {
      name: "an ordering of a band",
      condition: { fact: "health.band", op: "lt", value: "green" },
      pointer: "/steps/2/if/op",
      mentions: "orders numbers",
    },
    {
      name: "a value on exists",
      condition: { fact: "attributes.plan", op: "exists", value: true },
      pointer: "/steps/2/if/value",
      mentions: "takes no value",
    },
    {
      name: "a bad value deep inside all/any/not",
      condition: { all: [{ not: { any: [{ fact: "arr", op: "gt", value: [1] }] } }] },
      pointer: "/steps/2/if/all/0/not/any/0/value",
      mentions: "not an array",
    },
  ])("reports a condition that can never be what was meant: $name", ({ condition, pointer, mentions }) => {
    const result = validateJourney(
      draft((j) => Object.assign(step(j, 2), { if: condition })),
      templates,
    );
    expect(result.problems.map((problem) => `${problem.pointer} ${problem.rule}`)).toEqual([
      `${pointer} condition_value`,
    ]);
    expect(result.problems[0]?.message).toContain(mentions);
  });

  it("checks condition values in the audience and exit criteria too", () => {
    const result = validateJourney(
      draft((j) => {
        j.audience = { where: { fact: "health.band", op: "in", value: ["red", "amber"] } };
        j.exitWhen = [{ if: { fact: "days_to_renewal", op: "lte" } }];
      }),
      templates,
    );
    expect(result.problems.map(({ pointer }) => pointer)).toEqual([
      "/audience/where/value/1",
      "/exitWhen/0/if/value",
    ]);
  });

  it("accepts a per-step recipient wait, zero included (record no recipient at once)", () => {
    const result = validateJourney(
      draft((j) => {
        Object.assign(step(j, 0), { waitForRecipients: "PT0S" });
        Object.assign(step(j, 3), { waitForRecipients: "P2D" });
      }),
      templates,
    );
    expect(result.problems).toEqual([]);
  });

  it("accepts well-typed condition values of every kind of fact", () => {
    const result = validateJourney(
      draft((j) =>
        Object.assign(step(j, 2), {
          if: {
            any: [
              { fact: "tier", op: "in", value: ["tech_touch", "low_touch"] },
              { fact: "health.score", op: "gte", value: 70 },
              { fact: "attributes.plan", op: "eq", value: "business" },
              { fact: "attributes.seats", op: "lt", value: "100" },
              { fact: "attributes.region", op: "not_exists" },
              { fact: "event.login.count", op: "in", value: [0, 1] },
              { fact: "stage", op: "ne", value: "churned" },
            ],
          },
        }),
      ),
      templates,
    );
    expect(result.problems).toEqual([]);
  });

  it("reports every problem at once, in document order", () => {
    const input = draft((j) => {
      j.reentry = { policy: "cooldown", cooldown: "soon" };
      Object.assign(step(j, 0), { template: "missing" });
      Object.assign(step(j, 2), { else: "lgin", then: "invte" });
      Object.assign(step(j, 4), { timeout: "P0D" });
      Object.assign(step(j, 6), { id: "welcome" });
    });
    const result = validateJourney(input, templates);
    expect(result.ok).toBe(false);
    expect(result.problems.map(({ pointer, rule }) => `${pointer} ${rule}`)).toEqual([
      "/steps/0/template unknown_template",
      "/steps/2/then unknown_target",
      "/steps/2/else unknown_target",
      "/steps/3 unreachable_step",
      "/steps/4 unreachable_step",
      "/steps/4/timeout bad_duration",
      "/steps/5 unreachable_step",
      "/steps/6/id duplicate_step_id",
      // `reentry` was added after `steps`, and the order is the author's.
      "/reentry/cooldown bad_duration",
    ]);
  });

  it("reports only schema problems, all of them, when the shape is invalid", () => {
    const input = draft((j) => {
      delete step(j, 3).template;
      Object.assign(step(j, 5), { type: "escalation" });
      Object.assign(step(j, 2), { then: "nowhere" });
    });
    const result = validateJourney(input, templates);
    expect(result.ok).toBe(false);
    expect(result.journey).toBeUndefined();
    expect(result.problems).toEqual([
      { pointer: "/steps/3/template", rule: "schema", message: "is required" },
      {
        pointer: "/steps/5/type",
        rule: "schema",
        message: expect.stringContaining('"escalation" is not one of'),
      },
    ]);
  });

  it("points into a condition at the typo, not at the whole condition", () => {
    const input = draft((j) =>
      Object.assign(step(j, 2), {
        if: {
          all: [
            { fact: "tier", op: "eq", value: "tech_touch" },
            { fact: "deployment.ratio", op: "less", value: 0.8 },
          ],
        },
      }),
    );
    expect(validateJourney(input, templates).problems.map(({ pointer }) => pointer)).toEqual([
      "/steps/2/if/all/1/op",
    ]);
  });

  it("escapes ~ and / in pointers and suggests the step type meant", () => {
    const input = draft((j) => {
      j["a/b~c"] = true;
      Object.assign(step(j, 0), { type: "emial" });
    });
    const result = validateJourney(input, templates);
    expect(result.problems.map(({ pointer }) => pointer)).toEqual(["/steps/0/type", "/a~1b~0c"]);
    expect(result.problems[0]?.message).toContain('(did you mean "email"?)');
  });

  it.each([
    ["helth.score", "health.score"],
    ["touch.welcome.open", "touch.welcome.opened"],
    ["attribute.plan", "attributes.plan"],
    ["event.login.cont", "event.login.count"],
  ])("names the fact meant for the unknown fact %s, and lists the known ones", (typo, meant) => {
    const input = draft((j) => Object.assign(step(j, 2), { if: { fact: typo, op: "lt", value: 0.8 } }));
    const [problem, ...others] = validateJourney(input, templates).problems;
    expect(others).toEqual([]);
    expect(problem?.pointer).toBe("/steps/2/if/fact");
    expect(problem?.message).toContain(`"${typo}" is not a known fact (did you mean "${meant}"?)`);
    expect(problem?.message).toContain("known facts: health.score, health.band, deployment.ratio");
    expect(problem?.message).toContain("touch.<stepId>.opened");
  });

  it("suggests nothing for a fact far from every known one, but still lists them", () => {
    const input = draft((j) => Object.assign(step(j, 2), { if: { fact: "zzz", op: "lt", value: 1 } }));
    const message = validateJourney(input, templates).problems[0]?.message ?? "";
    expect(message).not.toContain("did you mean");
    expect(message).toContain('"zzz" is not a known fact; known facts: health.score');
  });

  it("reports a definition that is not an object at the document root", () => {
    const result = validateJourney("onboarding", templates);
    expect(result.problems).toEqual([{ pointer: "", rule: "schema", message: expect.any(String) }]);
  });
});

describe("formatProblems", () => {
  it("gives one indented line per problem with its pointer", () => {
    const result = validateJourney(
      draft((j) => Object.assign(step(j, 6), { next: "invte" })),
      templates,
    );
    expect(formatProblems(result.problems)).toBe(
      '  /steps/6/next: unknown step "invte" (did you mean "invite"?)',
    );
    expect(formatProblems([{ pointer: "", rule: "schema", message: "expected object" }])).toBe(
      "  (document): expected object",
    );
  });
});
