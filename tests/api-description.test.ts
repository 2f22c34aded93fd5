import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JourneyVersion } from "../apps/core/journeys/journeys";
import { generatedFiles } from "../scripts/gen";
import { eventually, startTestStack, type TestStack } from "./harness";

type Operation = {
  operationId?: string;
  tags?: string[];
  requestBody?: { content: Record<string, { schema: unknown }> };
};
type Document = {
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};

let stack: TestStack;
let doc: Document;

beforeAll(async () => {
  stack = await startTestStack();
  doc = (await (await stack.app.request("/openapi.json")).json()) as Document;
});
afterAll(() => stack?.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
  );

describe("the OpenAPI document", () => {
  it("gives every operation a unique camelCase verbNoun operationId", () => {
    const missing = operations()
      .filter(({ op }) => !op.operationId)
      .map(({ name }) => name);
    expect(missing, "operations without an operationId").toEqual([]);
    const ids = operations().map(({ op }) => op.operationId as string);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(repeated, "operationIds used twice").toEqual([]);
    expect(ids.filter((id) => !/^[a-z]+[A-Z][A-Za-z]*$/.test(id))).toEqual([]);
  });

  it("describes every tag an operation uses", () => {
    const described = new Map(doc.tags?.map((t) => [t.name, t.description]));
    const used = new Set(operations().flatMap(({ op }) => op.tags ?? []));
    expect([...used].filter((tag) => !described.get(tag))).toEqual([]);
  });

  it("names the public URL as its server", () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: stack.deps.publicUrl })]);
  });

  it("types the journey body as the journey language, not as any object", () => {
    const body = doc.paths["/v1/journeys/{key}"]?.put?.requestBody?.content["application/json"]?.schema;
    expect(body).toMatchObject({ allOf: [{ $ref: "#/components/schemas/JourneyDefinition" }] });
    const definition = doc.components.schemas.JourneyDefinition;
    expect(Object.keys(definition?.properties ?? {})).toEqual(
      expect.arrayContaining(["key", "trigger", "audience", "steps"]),
    );
    expect(doc.components.schemas.Step).toBeDefined();
    expect(doc.components.schemas.Scorecard?.properties).toHaveProperty("measures");
  });

  it("resolves every $ref to a component it has", () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] as string);
    const dangling = refs.filter((ref) => {
      const name = ref.replace("#/components/schemas/", "");
      return !ref.startsWith("#/components/schemas/") || !doc.components.schemas[name];
    });
    expect([...new Set(dangling)]).toEqual([]);
  });
});

describe("the journey JSON Schema", () => {
  it("is committed up to date with the zod schema, and so is the generated reference (npm run gen)", async () => {
    for (const [path, content] of Object.entries(generatedFiles())) {
      const committed = await readFile(new URL(`../${path}`, import.meta.url), "utf8");
      expect(committed, `${path} is stale: run npm run gen`).toBe(content);
    }
  });

  it("is what shipped playbooks name in $schema, and the API ignores it", async () => {
    const file = await readFile(
      new URL("../templates/journeys/onboarding-tech-touch.json", import.meta.url),
      "utf8",
    );
    const playbook = JSON.parse(file) as { $schema: string; key: string };
    expect(playbook.$schema).toBe("../../schemas/journey.schema.json");

    const ws = await stack.newWorkspace();
    const draft = {
      $schema: playbook.$schema,
      key: "with-schema",
      name: "With $schema",
      trigger: { type: "manual" },
      steps: [{ id: "stage", type: "set_stage", stage: "adoption" }],
    };
    const saved = await ws.request("PUT", "/v1/journeys/with-schema", draft);
    expect(saved.status).toBe(201);
    const published = await ws.request("POST", "/v1/journeys/with-schema/publish");
    expect(published.status).toBe(201);
    const version = (await (
      await ws.request("GET", "/v1/journeys/with-schema/versions/1")
    ).json()) as JourneyVersion;
    expect(version.definition).toMatchObject({ key: "with-schema" });
    expect(version.definition).not.toHaveProperty("$schema");
  });
});

describe("the getting-started guide", () => {
  it("works as written: the onboarding playbook file saved, published, and a new account gets its welcome", async () => {
    const ws = await stack.newWorkspace();
    const playbook = await readFile(
      new URL("../templates/journeys/onboarding-tech-touch.json", import.meta.url),
      "utf8",
    );
    const saved = await ws.request("PUT", "/v1/journeys/onboarding-tech-touch", playbook);
    expect(saved.status).toBe(201);
    expect(((await saved.json()) as { problems: unknown[] }).problems).toEqual([]);
    expect((await ws.request("POST", "/v1/journeys/onboarding-tech-touch/publish")).status).toBe(201);

    const account = await ws.request("PUT", "/v1/accounts/acme", {
      name: "Acme KK",
      tier: "tech_touch",
      licenses: 50,
      contacts: [{ externalId: "taro", email: "taro@acme.example", name: "Taro", role: "admin" }],
    });
    expect(account.status).toBe(201);

    const welcome = await eventually(async () => {
      const outbox = (await (await ws.request("GET", "/v1/outbox")).json()) as {
        data: { template: string; recipients: string[]; status: string }[];
      };
      return outbox.data.find((m) => m.status === "sent");
    }, "the welcome email in the outbox");
    expect(welcome.recipients).toEqual(["taro@acme.example"]);
    const enrollments = (await (
      await ws.request("GET", "/v1/enrollments?journey=onboarding-tech-touch")
    ).json()) as { data: { account: string }[] };
    expect(enrollments.data.map((e) => e.account)).toEqual(["acme"]);
  });
});
