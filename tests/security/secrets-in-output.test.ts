import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstKeyFile, firstKeyLines, keepFirstKey } from "../../apps/cli/first-key";
import type { Enrollment } from "../../apps/core/enrollments/schemas";
import { createLogger } from "../../apps/logger";
import { eventually, type SmtpSink, smtpSink, startTestStack, type TestStack } from "../harness";

describe("the first start's API key (issue 14, item 9)", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "volante-key-"));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it("is kept in <home>/first-api-key, readable by its owner only, even over an older open file", async () => {
    const file = firstKeyFile(home);
    await writeFile(file, "stale\n", { mode: 0o644 });
    await keepFirstKey(home, "vk_secret-of-the-first-start");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, "utf8")).toBe("vk_secret-of-the-first-start\n");
  });

  it("is printed to a terminal, and only where the file is otherwise", () => {
    const key = "vk_secret-of-the-first-start";
    expect(firstKeyLines(home, key, true).join("\n")).toContain(key);
    const piped = firstKeyLines(home, key, false).join("\n");
    expect(piped).not.toContain(key);
    expect(piped).toContain(firstKeyFile(home));
  });
});

describe("contact addresses in the log", () => {
  const lines: string[] = [];
  let smtp: SmtpSink;
  let stack: TestStack;
  beforeAll(async () => {
    smtp = await smtpSink();
    // Every level is captured: what must not reach info is checked on the lines themselves.
    stack = await startTestStack({ smtpUrl: smtp.url, log: createLogger("debug", (l) => lines.push(l)) });
  });
  afterAll(async () => {
    await stack?.close();
    await smtp?.close();
  });

  it("names no contact at info level, for a send, a bounce and an unsubscribe", async () => {
    const ws = await stack.newWorkspace();
    const people = ["ann@quiet.example", "bounce-bob@quiet.example"];
    await ws.request("PUT", "/v1/accounts/quiet", { name: "Quiet KK", tier: "tech_touch" });
    for (const [i, email] of people.entries())
      await ws.request("PUT", `/v1/accounts/quiet/contacts/c${i}`, {
        email,
        role: "admin",
        name: `Person ${i}`,
      });
    await ws.request("PUT", "/v1/journeys/quiet-mail", {
      name: "Quiet mail",
      trigger: { type: "manual" },
      steps: [{ id: "mail", type: "email", template: "onboarding-welcome", to: "role:admin" }],
    });
    expect((await ws.request("POST", "/v1/journeys/quiet-mail/publish")).status).toBe(201);
    const res = await ws.request("POST", "/v1/enrollments", { journey: "quiet-mail", account: "quiet" });
    const { id } = (await res.json()) as Enrollment;
    await eventually(async () => {
      const e = (await (await ws.request("GET", `/v1/enrollments/${id}`)).json()) as Enrollment;
      return e.status === "completed" ? true : undefined;
    }, "the mail journey to complete");
    const sent = await eventually(
      async () => smtp.mail.find((m) => m.to.includes("ann@quiet.example")),
      "the mail to ann",
    );
    // The one-click unsubscribe the mail carries, as a mail provider posts it.
    const header = (await simpleParser(sent.raw)).headerLines.find((h) => h.key === "list-unsubscribe");
    const unsubscribe = /<([^>]+)>/.exec(header?.line.replace(/\r?\n\s+/g, "") ?? "")?.[1] ?? "";
    expect(unsubscribe).not.toBe("");
    const path = new URL(unsubscribe).pathname;
    const posted = await stack.app.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(posted.status).toBeLessThan(400);

    const infoOrBelow = lines.filter((l) =>
      ["info", "debug"].includes((JSON.parse(l) as { level: string }).level),
    );
    expect(infoOrBelow.length).toBeGreaterThan(0);
    for (const email of people) {
      expect(infoOrBelow.filter((l) => l.toLowerCase().includes(email))).toEqual([]);
    }
  });
});
