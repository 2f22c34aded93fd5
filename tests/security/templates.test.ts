import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRenderer,
  loadPartials,
  RenderError,
  type Renderer,
  renderMessage,
} from "../../apps/core/delivery/render";
import { MAX_OUTPUT_BYTES, RENDER_TIMEOUT_MS } from "../../apps/core/delivery/render-limits";
import type { Enrollment } from "../../apps/core/enrollments/schemas";
import { contactSends, templates, touches } from "../../db/schema";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "../harness";

/**
 * The template bomb of issue 14: inline partials, each calling the one below ten times, `levels`
 * deep. At eight levels (about 900 characters) it rendered 10⁸ copies: 17 s and 2.45 GB.
 */
function bomb(levels: number): string {
  let source = '{{#*inline "p0"}}xxxxxxxxxx{{/inline}}';
  for (let level = 1; level <= levels; level++)
    source += `{{#*inline "p${level}"}}${`{{> p${level - 1}}}`.repeat(10)}{{/inline}}`;
  return `${source}{{> p${levels}}}`;
}

/** Three `#each` over one list: 27 million iterations for 300 items; nothing to see in the syntax. */
const cube =
  "{{#each account.attributes.xs}}{{#each @root.account.attributes.xs}}{{#each @root.account.attributes.xs}}" +
  "{{this}}{{/each}}{{/each}}{{/each}}";

/** With 600 values, 216 million turns that write nothing: held by the time limit, never by the memory or output limits. */
const spin =
  "{{#each account.attributes.xs}}{{#each @root.account.attributes.xs}}{{#each @root.account.attributes.xs}}" +
  "{{/each}}{{/each}}{{/each}}";

type Problem = { errors?: { pointer: string; message: string }[] };

describe("templates through the API", () => {
  let stack: TestStack;
  let ws: TestWorkspace;

  beforeAll(async () => {
    stack = await startTestStack();
    ws = await stack.newWorkspace();
    // The render threads start with the service; a running service has them ready.
    await stack.deps.renderer.render({ body: "" }, {});
  });
  afterAll(() => stack?.close());

  const put = (key: string, body: string, extra: Record<string, unknown> = {}) =>
    ws.request("PUT", `/v1/templates/${key}`, {
      channel: "email",
      category: "onboarding",
      subject: "Hello {{contact.name}}",
      body,
      ...extra,
    });

  /** How long one /healthz takes (it asks the database and Temporal), in milliseconds. */
  async function healthz(): Promise<number> {
    const started = performance.now();
    const res = await stack.app.request("/healthz");
    expect(res.status).toBe(200);
    return performance.now() - started;
  }

  /**
   * Calls /healthz every few milliseconds until `work` settles, and checks each answered within
   * 400 ms. On a machine so loaded that an idle /healthz already takes longer, the bound is twice the
   * slowest idle call. A render on the event loop would hold these for the whole second the render is
   * allowed; 400 ms leaves room for a loaded CI machine (a first probe took 159 ms while other
   * processes competed for its 2 cores) and still fails on a blocked loop.
   */
  async function healthzAnswersDuring<T>(work: () => Promise<T>): Promise<T> {
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push(await healthz());
    const bound = Math.max(400, 2 * Math.max(...idle));
    const latencies: number[] = [];
    let done = false;
    const settled = work().finally(() => {
      done = true;
    });
    const probe = (async () => {
      while (!done) {
        latencies.push(await healthz());
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const result = await settled;
    await probe;
    expect(latencies.length).toBeGreaterThan(0);
    for (const latency of latencies) expect(latency, `/healthz latencies ${latencies}`).toBeLessThan(bound);
    return result;
  }

  it("refuses the 8-deep template bomb with a 422 at /body within 2 s, /healthz answering meanwhile", async () => {
    const source = bomb(8);
    expect(source.length).toBeLessThan(1000);
    let elapsed = 0;
    const res = await healthzAnswersDuring(async () => {
      const started = performance.now();
      const answer = await put("bomb-8", source);
      elapsed = performance.now() - started;
      return answer;
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as Problem).errors).toEqual([
      { pointer: "/body", message: "cannot be rendered: partials nest 9 deep; at most 5 are allowed" },
    ]);
    expect(elapsed).toBeLessThan(2_000);
    expect((await ws.request("GET", "/v1/templates/bomb-8")).status).toBe(404);
  });

  it("refuses the 7-deep variant, and a wide one that nests only two deep", async () => {
    const seven = await put("bomb-7", bomb(7));
    expect(seven.status).toBe(422);
    expect(((await seven.json()) as Problem).errors).toEqual([
      { pointer: "/body", message: "cannot be rendered: partials nest 8 deep; at most 5 are allowed" },
    ]);
    const wide = `{{#*inline "a"}}x{{/inline}}{{#*inline "b"}}${"{{> a}}".repeat(40)}{{/inline}}${"{{> b}}".repeat(40)}`;
    const res = await put("wide", wide);
    expect(res.status).toBe(422);
    expect(((await res.json()) as Problem).errors).toEqual([
      { pointer: "/body", message: "cannot be rendered: expands 1,640 partials; at most 1000 are allowed" },
    ]);
  });

  it("refuses a partial that calls itself, and one named at run time", async () => {
    const loop = await put("loop", '{{#*inline "a"}}{{> a}}{{/inline}}{{> a}}');
    expect(((await loop.json()) as Problem).errors).toEqual([
      { pointer: "/body", message: 'cannot be rendered: the partial "a" calls itself' },
    ]);
    const dynamic = await put("dynamic", "{{> (default contact.name 'button')}}");
    expect(dynamic.status).toBe(422);
    expect(((await dynamic.json()) as Problem).errors?.[0]?.message).toContain("must be written out");
  });

  it("refuses {{log}} in the body or the subject", async () => {
    for (const [body, subject, pointer] of [
      ['<p>{{log "secret" contact.email}}</p>', "Hi", "/body"],
      ["<p>Hi</p>", "Hi {{log contact.name}}", "/subject"],
    ] as const) {
      const res = await put("logs", body, { subject });
      expect(res.status).toBe(422);
      expect(((await res.json()) as Problem).errors).toEqual([
        { pointer, message: expect.stringContaining("uses {{log}}, which is not available") },
      ]);
    }
  });

  it.each([
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JavaScript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java&Tab;script&colon;alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)">x</a>',
    "<a href='java\nscript:alert(1)'>x</a>",
    "<a/href=javascript:alert(1)>x</a>",
    '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
    '{{#if contact.attributes.vip}}<a href="vbscript:msgbox(1)">x</a>{{/if}}',
  ])("refuses the link target in %s at /body", async (body) => {
    const res = await put("links", body);
    expect(res.status).toBe(422);
    expect(((await res.json()) as Problem).errors).toEqual([
      {
        pointer: "/body",
        message: expect.stringMatching(/^links to .*: javascript: and data: link targets/),
      },
    ]);
  });

  it("saves and previews an ordinary template with links, partials and helpers", async () => {
    const body =
      '<p>Hi {{default contact.firstName "there"}}, {{plural usage.activeUsers28d "user" "users"}} active.</p>' +
      '{{> button url=links.app label="Open the app"}}<a href="mailto:cs@vendor.example">Mail us</a>' +
      '{{#*inline "tip"}}<li>{{this}}</li>{{/inline}}';
    const res = await put("ordinary", body);
    expect(res.status).toBe(201);
    // The preview shows the workspace's own app link.
    expect((await ws.request("PATCH", "/v1/workspace", { appUrl: "https://app.example" })).status).toBe(200);
    const preview = await ws.request("POST", "/v1/templates/ordinary/preview", {});
    expect(preview.status).toBe(200);
    const { html, subject } = (await preview.json()) as { html: string; subject: string };
    expect(subject).toBe("Hello Taro Yamada");
    expect(html).toContain("Hi Taro, 9 users active.");
    expect(html).toContain('href="https://app.example"');
  });

  it("stops a preview that only explodes with the caller's data after 1 s, with a 422 at /data", async () => {
    expect((await put("cube", spin)).status).toBe(201);
    const xs = Array.from({ length: 600 }, (_, i) => i);
    let elapsed = 0;
    const res = await healthzAnswersDuring(async () => {
      const started = performance.now();
      const answer = await ws.request("POST", "/v1/templates/cube/preview", {
        data: { account: { attributes: { xs } } },
      });
      elapsed = performance.now() - started;
      return answer;
    });
    expect(elapsed).toBeLessThan(2_000);
    expect(res.status).toBe(422);
    expect(((await res.json()) as Problem).errors).toEqual([
      { pointer: "/data", message: `took longer than ${RENDER_TIMEOUT_MS} ms to render` },
    ]);
    // The thread was replaced: the next preview renders.
    expect((await ws.request("POST", "/v1/templates/cube/preview", {})).status).toBe(200);
  });

  it("fails a send of a bomb stored before the limits for good, with a trace entry saying why", async () => {
    await stack.database.db.insert(templates).values({
      workspaceId: ws.workspaceId,
      key: "stored-bomb",
      locale: "en",
      channel: "email",
      category: "onboarding",
      subject: "Hello",
      body: bomb(8),
    });
    await ws.request("PUT", "/v1/accounts/boom", { name: "Boom KK", tier: "tech_touch" });
    await ws.request("PUT", "/v1/accounts/boom/contacts/ann", {
      email: "ann@boom.example",
      role: "admin",
      locale: "en",
    });
    await ws.request("PUT", "/v1/journeys/boom", {
      name: "boom",
      trigger: { type: "manual" },
      steps: [{ id: "mail", type: "email", template: "stored-bomb", to: "role:admin" }],
    });
    expect((await ws.request("POST", "/v1/journeys/boom/publish")).status).toBe(201);
    const res = await ws.request("POST", "/v1/enrollments", { journey: "boom", account: "boom" });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as Enrollment;
    // The run goes on past the touch: it was not retried.
    const trace = await eventually(async () => {
      const t = (await (await ws.request("GET", `/v1/enrollments/${id}/trace`)).json()) as {
        enrollment: Enrollment;
        trace: { kind: string; detail: Record<string, unknown> }[];
      };
      return t.enrollment.status === "completed" ? t.trace : undefined;
    }, "the run to complete");
    expect(trace.find((t) => t.kind === "not_sent")?.detail).toMatchObject({
      status: "failed",
      reason: "the template cannot be rendered: partials nest 9 deep; at most 5 are allowed",
    });
    const sends = await stack.database.db
      .select({ status: contactSends.status, reason: contactSends.reason })
      .from(contactSends)
      .innerJoin(touches, eq(touches.id, contactSends.touchId))
      .where(eq(touches.enrollmentId, id));
    expect(sends).toEqual([{ status: "failed", reason: expect.stringContaining("partials nest 9 deep") }]);
  });
});

describe("the render sandbox", () => {
  let renderer: Renderer;

  beforeAll(async () => {
    renderer = createRenderer(await loadPartials());
  });
  afterAll(() => renderer?.close());

  it("stops a render past the output limit", async () => {
    const big = "x".repeat(1024);
    const rows = Array.from({ length: MAX_OUTPUT_BYTES / 1024 + 1 }, () => big);
    await expect(renderer.render({ body: "{{#each rows}}{{this}}{{/each}}" }, { rows })).rejects.toThrow(
      new RenderError("renders 513 KiB; at most 512 KiB are allowed"),
    );
    const fits = await renderer.render({ body: "{{#each rows}}{{this}}{{/each}}" }, { rows: rows.slice(1) });
    expect(fits.html).toHaveLength(MAX_OUTPUT_BYTES);
  });

  it("terminates a render past the time limit and goes on rendering with a new thread", async () => {
    const xs = Array.from({ length: 600 }, (_, i) => i);
    const started = performance.now();
    await expect(renderer.render({ body: spin }, { account: { attributes: { xs } } })).rejects.toThrow(
      new RenderError(`took longer than ${RENDER_TIMEOUT_MS} ms to render`, true),
    );
    expect(performance.now() - started).toBeLessThan(RENDER_TIMEOUT_MS + 1_000);
    const again = await renderer.render({ body: cube }, { account: { attributes: { xs: [1, 2] } } });
    expect(again.html).toBe("12121212");
  });

  it("marks a send's render past the time limit as worth another attempt, and one past another limit as not", async () => {
    // The time limit is wall-clock time, which a starved machine can reach with a sound template.
    const xs = Array.from({ length: 600 }, (_, i) => i);
    expect(await renderMessage(renderer, { body: spin }, { account: { attributes: { xs } } })).toEqual({
      ok: false,
      reason: `the template cannot be rendered: took longer than ${RENDER_TIMEOUT_MS} ms to render`,
      overTime: true,
    });
    const rows = Array.from({ length: MAX_OUTPUT_BYTES / 1024 + 1 }, () => "x".repeat(1024));
    expect(await renderMessage(renderer, { body: "{{#each rows}}{{this}}{{/each}}" }, { rows })).toEqual({
      ok: false,
      reason: "the template cannot be rendered: renders 513 KiB; at most 512 KiB are allowed",
      overTime: false,
    });
  });

  it("refuses to render a script link that a value brings, which no save-time check can see", async () => {
    const body = '<p><a href="{{account.attributes.site}}">Your site</a></p>';
    await expect(
      renderer.render({ body }, { account: { attributes: { site: "JavaScript:alert(document.cookie)" } } }),
    ).rejects.toThrow(new RenderError('renders a link to href="javascript:…", which is never sent'));
    const safe = await renderer.render(
      { body },
      { account: { attributes: { site: "https://acme.example/" } } },
    );
    expect(safe.html).toBe('<p><a href="https://acme.example/">Your site</a></p>');
  });

  it("renders {{log}} in a template stored before the check as nothing", async () => {
    const rendered = await renderer.render({ body: '<p>a{{log "into the server log"}}b</p>' }, {});
    expect(rendered.html).toBe("<p>ab</p>");
  });
});
