import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Handlebars from "handlebars";
import { afterAll, describe, expect, it } from "vitest";
import {
  extractVariables,
  type FileTemplate,
  loadFileTemplates,
  loadPlaybooks,
  TemplateLoadError,
  toTemplateInfo,
} from "../apps/core/templates/files";
import { type Condition, isIsoDuration, JourneyDefinition, type Step } from "../workflows/journey/schema";
import { isSuppliedVariable, templateVariables } from "../workflows/journey/variables";

const templates = await loadFileTemplates();
const playbooks = await loadPlaybooks();
const templatesByKey = new Map(templates.map((t) => [t.key, t]));

describe("extractVariables", () => {
  it("collects paths from mustaches, block params and helper params", () => {
    expect(
      extractVariables(
        '{{account.name}} {{#if usage.deploymentRatio}}ok{{/if}} {{formatDate renewal.date "short"}}',
      ),
    ).toEqual(["account.name", "renewal.date", "usage.deploymentRatio"]);
  });

  it("treats the head of a mustache with params or a hash as a helper, not a variable", () => {
    expect(
      extractVariables('{{formatDate renewal.date}} {{link text=contact.name}} {{t "greeting"}}'),
    ).toEqual(["contact.name", "renewal.date"]);
  });

  it("reads the params and hashes of subexpressions but not their helper names", () => {
    const source =
      "{{#if (gt usage.activeUsers28d (div usage.licenses 2))}}{{link (concat links.app) label=(upper csm.name)}}{{/if}}";
    expect(extractVariables(source)).toEqual([
      "csm.name",
      "links.app",
      "usage.activeUsers28d",
      "usage.licenses",
    ]);
  });

  it("skips this, @data variables and literals", () => {
    expect(
      extractVariables(
        '{{this}} {{.}} {{@index}} {{@first}} {{"text"}} {{42}} {{#if true}}x{{/if}} {{log "x"}}',
      ),
    ).toEqual([]);
  });

  it("collects only root-context paths inside #each and #with", () => {
    const source = [
      "{{#each account.attributes.products}}",
      "{{name}} {{this.sku}} {{@index}} {{../account.name}} {{@root.contact.firstName}}",
      "{{else}}{{links.app}}{{/each}}",
      "{{#with contact}}{{email}}{{/with}}",
    ].join("");
    expect(extractVariables(source)).toEqual([
      "account.attributes.products",
      "account.name",
      "contact",
      "contact.firstName",
      "links.app",
    ]);
  });

  it("keeps the context in #if, so ../ inside #each > #if still reaches the root, as Handlebars does", () => {
    const source = "{{#each account.attributes.items}}{{#if ok}}{{../account.name}}{{/if}}{{/each}}";
    expect(extractVariables(source)).toEqual(["account.attributes.items", "account.name"]);
    const render = Handlebars.compile(source);
    expect(render({ account: { name: "Acme", attributes: { items: [{ ok: true }] } } })).toBe("Acme");
  });

  it("ignores block params, which are names rather than context lookups", () => {
    const source =
      "{{#each account.attributes.seats as |seat i|}}{{seat.email}}{{i}}{{/each}}{{#with contact as |c|}}{{c.name}}{{/with}}";
    expect(extractVariables(source)).toEqual(["account.attributes.seats", "contact"]);
  });

  it("follows else-if chains", () => {
    expect(extractVariables("{{#if a.b}}{{else if c.d}}{{e.f}}{{else}}{{g.h}}{{/if}}")).toEqual([
      "a.b",
      "c.d",
      "e.f",
      "g.h",
    ]);
  });

  it("ignores comments and partial names but reads partial arguments", () => {
    expect(
      extractVariables(
        "{{!-- {{secret}} --}}{{> footer}}{{> signature csm}}{{> (pick) name=workspace.name}}",
      ),
    ).toEqual(["csm", "workspace.name"]);
  });

  it("throws on a syntax error", () => {
    expect(() => extractVariables("{{#if account.name}}")).toThrow();
  });
});

describe("toTemplateInfo", () => {
  it("merges the variables of every locale's subject and body, deduplicated and sorted", () => {
    const template: FileTemplate = {
      key: "hello",
      channel: "email",
      category: "onboarding",
      locales: {
        en: { subject: "Hi {{account.name}}", body: "<p>{{contact.firstName}}</p>" },
        ja: { subject: "{{account.name}} 様", body: "<p>{{csm.name}} {{account.name}}</p>" },
      },
    };
    expect(toTemplateInfo(template)).toEqual({
      key: "hello",
      channel: "email",
      variables: ["account.name", "contact.firstName", "csm.name"],
    });
  });
});

describe("file templates", () => {
  it("are shipped", () => {
    expect(templates.length).toBeGreaterThan(0);
  });

  describe.each(templates)("$key", (template) => {
    it("has en and ja copy, with a one-line subject exactly when it is an email", () => {
      expect(Object.keys(template.locales)).toEqual(expect.arrayContaining(["en", "ja"]));
      for (const { subject, body } of Object.values(template.locales)) {
        expect(body.trim()).not.toBe("");
        if (template.channel === "email") expect(subject).toMatch(/^[^\n]+$/);
        else expect(subject).toBeUndefined();
      }
    });

    it("uses only variables a journey supplies", () => {
      const unknown = toTemplateInfo(template).variables.filter((variable) => !isSuppliedVariable(variable));
      expect(unknown).toEqual([]);
    });

    it("renders every locale with a full context and the built-in helpers only", () => {
      const context = sampleContext(toTemplateInfo(template).variables);
      for (const { subject, body } of Object.values(template.locales)) {
        for (const source of subject === undefined ? [body] : [subject, body]) {
          const output = Handlebars.compile(source, { knownHelpersOnly: true, strict: true })(context);
          expect(output).not.toMatch(/{{|}}|undefined|\[object Object\]/);
        }
      }
    });

    it("keeps its markup simple: basic HTML for email, no HTML in-app", () => {
      const allowed = template.channel === "email" ? ["a", "br", "em", "li", "p", "strong", "ul"] : [];
      for (const { body } of Object.values(template.locales)) {
        const tags = [...body.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((match) => match[1]);
        expect(tags.filter((tag) => !allowed.includes(tag ?? ""))).toEqual([]);
      }
    });
  });
});

describe("loading template files", () => {
  const roots: string[] = [];
  afterAll(async () => {
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  async function templateDir(files: Record<string, Record<string, string>>): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), "volante-templates-"));
    roots.push(root);
    for (const [key, entries] of Object.entries(files)) {
      await mkdir(join(root, key));
      for (const [name, text] of Object.entries(entries)) await writeFile(join(root, key, name), text);
    }
    return root;
  }

  const email = JSON.stringify({ channel: "email", category: "onboarding" });
  const inApp = JSON.stringify({ channel: "in_app", category: "product_tips" });

  it("reads a template folder into channel, category and copy per locale", async () => {
    const root = await templateDir({
      hello: {
        "template.json": JSON.stringify({ channel: "email", category: "onboarding", description: "Hi" }),
        "en.subject.hbs": "Hi {{contact.firstName}}\n",
        "en.body.hbs": "<p>Welcome</p>\n",
        "pt-BR.subject.hbs": "Olá",
        "pt-BR.body.hbs": "<p>Bem-vindo</p>",
      },
    });
    expect(await loadFileTemplates(root)).toEqual([
      {
        key: "hello",
        channel: "email",
        category: "onboarding",
        description: "Hi",
        locales: {
          en: { subject: "Hi {{contact.firstName}}", body: "<p>Welcome</p>\n" },
          "pt-BR": { subject: "Olá", body: "<p>Bem-vindo</p>" },
        },
      },
    ]);
  });

  it("reads an in-app message's style, and refuses a style on an email", async () => {
    const root = await templateDir({
      popup: {
        "template.json": JSON.stringify({ channel: "in_app", category: "renewal", style: "modal" }),
        "en.body.hbs": "**Renewal**",
      },
    });
    expect(await loadFileTemplates(root)).toMatchObject([{ key: "popup", style: "modal" }]);
    const bad = await templateDir({
      mail: {
        "template.json": JSON.stringify({ channel: "email", category: "renewal", style: "modal" }),
        "en.subject.hbs": "Hi",
        "en.body.hbs": "<p>Hi</p>",
      },
    });
    const error = (await loadFileTemplates(bad).catch((e: unknown) => e)) as TemplateLoadError;
    expect(error.problems).toEqual([
      { file: join(bad, "mail", "template.json"), message: expect.stringMatching(/^style: only an in-app/) },
    ]);
  });

  it("names template.json and the field when the manifest is invalid", async () => {
    const root = await templateDir({
      bad: {
        "template.json": JSON.stringify({ channel: "sms", category: "onboarding" }),
        "en.body.hbs": "x",
      },
      broken: { "template.json": "{ channel: email", "en.body.hbs": "x" },
    });
    const error = await loadFileTemplates(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateLoadError);
    expect((error as TemplateLoadError).problems).toEqual([
      { file: join(root, "bad", "template.json"), message: expect.stringMatching(/^channel: /) },
      { file: join(root, "broken", "template.json"), message: expect.stringMatching(/^invalid JSON/) },
    ]);
    expect((error as Error).message).toContain(join(root, "bad", "template.json"));
  });

  it("names the missing body and subject files", async () => {
    const root = await templateDir({
      welcome: { "template.json": email, "en.subject.hbs": "Hi", "ja.body.hbs": "<p>こんにちは</p>" },
    });
    await expect(loadFileTemplates(root)).rejects.toThrow(
      new RegExp(`${escapeRegExp(join(root, "welcome", "en.body.hbs"))}: missing`),
    );
    await expect(loadFileTemplates(root)).rejects.toThrow(
      new RegExp(`${escapeRegExp(join(root, "welcome", "ja.subject.hbs"))}: missing`),
    );
  });

  it("refuses a subject on an in-app message, a multi-line subject and stray files", async () => {
    const root = await templateDir({
      banner: { "template.json": inApp, "en.subject.hbs": "Hi", "en.body.hbs": "**Hi**" },
      mail: {
        "template.json": email,
        "en.subject.hbs": "Hi\nthere",
        "en.body.hbs": "<p>Hi</p>",
        "en.body.html": "x",
      },
    });
    const error = (await loadFileTemplates(root).catch((e: unknown) => e)) as TemplateLoadError;
    expect(error.problems.map((p) => p.file)).toEqual([
      join(root, "banner", "en.subject.hbs"),
      join(root, "mail", "en.body.html"),
      join(root, "mail", "en.subject.hbs"),
    ]);
  });

  it("reports a handlebars syntax error with its file", async () => {
    const root = await templateDir({
      tip: { "template.json": inApp, "en.body.hbs": "{{#if account.name}}unclosed" },
    });
    await expect(loadFileTemplates(root)).rejects.toThrow(
      new RegExp(`${escapeRegExp(join(root, "tip", "en.body.hbs"))}: handlebars syntax error`),
    );
  });

  it("names a playbook file that is not JSON", async () => {
    const root = await mkdtemp(join(tmpdir(), "volante-playbooks-"));
    roots.push(root);
    await writeFile(join(root, "good.json"), JSON.stringify({ key: "good" }));
    await writeFile(join(root, "bad.json"), "{ key: ");
    await expect(loadPlaybooks(root)).rejects.toThrow(
      new RegExp(`${escapeRegExp(join(root, "bad.json"))}: invalid JSON`),
    );
  });
});

describe("playbooks", () => {
  it("ship onboarding, adoption and renewal playbooks", () => {
    expect(playbooks.map((p) => p.key)).toEqual(
      expect.arrayContaining(["onboarding-tech-touch", "adoption-feature-breadth", "renewal-prep"]),
    );
  });

  describe.each(playbooks)("$key", ({ key, definition }) => {
    const parsed = JourneyDefinition.safeParse(definition);

    it("is a valid journey definition whose key is its file name", () => {
      expect(parsed.error?.issues).toBeUndefined();
      expect(parsed.data?.key).toBe(key);
    });

    it("sends only templates that exist for the step's channel", () => {
      for (const step of parsed.data?.steps ?? []) {
        if (step.type !== "email" && step.type !== "in_app") continue;
        expect({ step: step.id, channel: templatesByKey.get(step.template)?.channel }).toEqual({
          step: step.id,
          channel: step.type,
        });
      }
    });

    it("names only existing steps, reaches every step and has no loop without a wait", () => {
      const steps = parsed.data?.steps ?? [];
      const ids = new Set(steps.map((s) => s.id));
      expect(ids.size).toBe(steps.length);
      const edges = new Map(steps.map((step, index) => [step.id, successors(steps, index)]));
      expect([...edges.values()].flat().filter((id) => !ids.has(id))).toEqual([]);

      const reached = new Set<string>();
      const queue = steps.slice(0, 1).map((s) => s.id);
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        if (reached.has(id)) continue;
        reached.add(id);
        queue.push(...(edges.get(id) ?? []));
      }
      expect(steps.map((s) => s.id).filter((id) => !reached.has(id))).toEqual([]);

      const waits = new Set(
        steps.filter((s) => s.type === "wait" || s.type === "wait_for_event").map((s) => s.id),
      );
      expect(findCycle(edges, waits)).toBeUndefined();
    });

    it("uses ISO-8601 durations, splits that add up to 100 and touch facts of its own message steps", () => {
      const journey = parsed.data;
      if (journey === undefined) return;
      const durations: string[] = journey.reentry.policy === "cooldown" ? [journey.reentry.cooldown] : [];
      const conditions: Condition[] = [];
      for (const step of journey.steps) {
        if (step.type === "wait" && step.duration !== undefined) durations.push(step.duration);
        if (step.type === "wait_for_event") durations.push(step.timeout);
        if (step.type === "escalate") durations.push(step.sla);
        if (step.type === "branch") conditions.push(step.if);
        if (step.type === "split") expect(step.branches.reduce((sum, b) => sum + b.percent, 0)).toBe(100);
        const offset = step.type === "wait" ? step.until?.offset : undefined;
        if (offset !== undefined) expect(isIsoDuration(offset, { signed: true })).toBe(true);
      }
      expect(durations.filter((d) => !isIsoDuration(d))).toEqual([]);

      const messageSteps = new Set(
        journey.steps.filter((s) => s.type === "email" || s.type === "in_app").map((s) => s.id),
      );
      const touched = conditions
        .flatMap(facts)
        .flatMap((fact) => /^touch\.(.+)\.(opened|clicked)$/.exec(fact)?.[1] ?? []);
      expect(touched.filter((id) => !messageSteps.has(id))).toEqual([]);
    });
  });
});

/** A context holding every variable a journey supplies plus the ones a template reads under the attribute prefixes. */
function sampleContext(variables: string[]): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const path of new Set([...templateVariables, ...variables])) {
    const parts = path.split(".");
    let node = context;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts.at(-1) ?? ""] = sampleValue(path);
  }
  return context;
}

function sampleValue(path: string): unknown {
  if (path === "usage.deploymentRatio") return 0.62;
  if (/(licenses|activeUsers28d|daysSinceLastLogin|daysToRenewal|score|arr)$/.test(path)) return 42;
  if (path.startsWith("links.")) return "https://app.example.com/?a=1&b=2";
  return `sample ${path}`;
}

function successors(steps: Step[], index: number): string[] {
  const step = steps[index];
  const following = steps[index + 1]?.id;
  const onward = (next: string | null | undefined) =>
    next === undefined ? (following === undefined ? [] : [following]) : next === null ? [] : [next];
  if (step === undefined) return [];
  switch (step.type) {
    case "exit":
      return [];
    case "branch":
      return [step.then, step.else];
    case "split":
      return step.branches.map((b) => b.next);
    case "wait_for_event":
      return [step.onTimeout, ...onward(step.next)];
    default:
      return onward(step.next);
  }
}

/** A cycle through steps that are not waits (a loop that would spin without time passing), if any. */
function findCycle(edges: Map<string, string[]>, waits: Set<string>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const visit = (id: string, path: string[]): string[] | undefined => {
    if (waits.has(id) || state.get(id) === "done") return undefined;
    if (state.get(id) === "open") return [...path, id];
    state.set(id, "open");
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next, [...path, id]);
      if (cycle) return cycle;
    }
    state.set(id, "done");
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

function facts(condition: Condition): string[] {
  if ("fact" in condition) return [condition.fact];
  if ("all" in condition) return condition.all.flatMap(facts);
  if ("any" in condition) return condition.any.flatMap(facts);
  return facts(condition.not);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
