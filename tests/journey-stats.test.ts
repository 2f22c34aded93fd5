import { type ParsedMail, simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JourneyStats } from "../apps/core/journeys/stats";
import { eventually, type SmtpSink, smtpSink, startTestStack, type TestStack } from "./harness";

let stack: TestStack;
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await smtpSink();
  stack = await startTestStack({ smtpUrl: smtp.url });
});
afterAll(async () => {
  await stack?.close();
  await smtp?.close();
});

function header(mail: ParsedMail, name: string): string {
  const line = mail.headerLines.find((h) => h.key === name)?.line ?? "";
  return line
    .slice(line.indexOf(":") + 1)
    .replace(/\r?\n\s+/g, "")
    .trim();
}

/** A path of the public app (`http://localhost:3000/...` in the harness), as the in-process app takes it. */
const path = (url: string) => new URL(url).pathname;

describe("engagement in the journey's stats", () => {
  it("counts opens, clicks and unsubscribes made through the real tracking links, per step and per split branch, with rates of delivered", async () => {
    const w = await stack.newWorkspace();
    // The mails' main button opens the app: its link is the click tracked here.
    expect((await w.request("PATCH", "/v1/workspace", { appUrl: "https://app.stats.example/" })).status).toBe(
      200,
    );
    // The split buckets by the account's random id: with 16 accounts one branch stays empty once in 32,768 runs.
    const accounts = Array.from({ length: 16 }, (_, i) => `s${i + 1}`);
    for (const id of accounts) {
      await w.request("PUT", `/v1/accounts/${id}`, { name: `${id} KK`, tier: "tech_touch" });
      await w.request("PUT", `/v1/accounts/${id}/contacts/admin`, {
        email: `admin@${id}.example`,
        role: "admin",
      });
    }
    await w.request("PUT", "/v1/journeys/ab", {
      name: "A/B welcome",
      trigger: { type: "manual" },
      steps: [
        {
          id: "ab",
          type: "split",
          branches: [
            { name: "A", percent: 50, next: "mailA" },
            { name: "B", percent: 50, next: "mailB" },
          ],
        },
        { id: "mailA", type: "email", template: "onboarding-welcome", to: "role:admin", next: null },
        { id: "mailB", type: "email", template: "onboarding-check-in", to: "role:admin", next: null },
      ],
    });
    expect((await w.request("POST", "/v1/journeys/ab/publish")).status).toBe(201);
    for (const account of accounts) await w.request("POST", "/v1/enrollments", { journey: "ab", account });

    const mails = await eventually(async () => {
      const mine = smtp.mail.filter((m) =>
        m.to.some((to) => to.endsWith(".example") && to.startsWith("admin@s")),
      );
      return mine.length === accounts.length ? Promise.all(mine.map((m) => simpleParser(m.raw))) : undefined;
    }, "a welcome to every admin");
    const stepOf = (mail: ParsedMail) => header(mail, "x-volante-touch").split(":")[0] ?? "";
    const byStep = {
      mailA: mails.filter((m) => stepOf(m) === "mailA"),
      mailB: mails.filter((m) => stepOf(m) === "mailB"),
    };
    expect(byStep.mailA.length).toBeGreaterThan(0);
    expect(byStep.mailB.length).toBeGreaterThan(0);

    const links = (mail: ParsedMail) => {
      const html = String(mail.html);
      const open = /<img src="([^"]+\/t\/o\/[^"]+)"/.exec(html)?.[1];
      const click = /href="([^"]+\/t\/c\/[^"]+)"/.exec(html)?.[1];
      if (!open || !click) throw new Error(`no tracking links in ${mail.subject}`);
      return { open, click, unsubscribe: header(mail, "list-unsubscribe").slice(1, -1) };
    };
    const act = async (
      mail: ParsedMail,
      what: { open?: boolean; click?: boolean; unsubscribe?: boolean },
    ) => {
      const l = links(mail);
      if (what.open) {
        // A reloaded pixel is one open.
        expect((await stack.app.request(path(l.open))).status).toBe(200);
        expect((await stack.app.request(path(l.open))).status).toBe(200);
      }
      if (what.click) expect((await stack.app.request(path(l.click))).status).toBe(302);
      if (what.unsubscribe) {
        const res = await stack.app.request(path(l.unsubscribe), {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "List-Unsubscribe=One-Click",
        });
        expect(res.status).toBe(200);
      }
    };
    const [a1, a2] = byStep.mailA;
    const [b1] = byStep.mailB;
    if (!a1 || !b1) throw new Error("a branch without mail");
    await act(a1, { open: true, click: true, unsubscribe: true });
    if (a2) await act(a2, { open: true });
    await act(b1, { click: true });

    const stats = (await (await w.request("GET", "/v1/journeys/ab/stats")).json()) as JourneyStats;
    const step = (id: string) => stats.steps.find((s) => s.stepId === id)?.engagement;
    const aOpened = a2 ? 2 : 1;
    const nA = byStep.mailA.length;
    const nB = byStep.mailB.length;
    const rate = (n: number, of: number) => Math.round((n / of) * 10_000) / 10_000;
    expect(step("mailA")).toEqual({
      delivered: nA,
      opened: aOpened,
      clicked: 1,
      unsubscribed: 1,
      openRate: rate(aOpened, nA),
      clickRate: rate(1, nA),
      unsubscribeRate: rate(1, nA),
    });
    expect(step("mailB")).toEqual({
      delivered: nB,
      opened: 0,
      clicked: 1,
      unsubscribed: 0,
      openRate: 0,
      clickRate: rate(1, nB),
      unsubscribeRate: 0,
    });
    // A step that sends nothing has no rates, rather than a zero that reads as a measured one.
    expect(step("ab")).toMatchObject({ delivered: 0, openRate: null });
    expect(stats.variants.sort((x, y) => x.variant.localeCompare(y.variant))).toEqual([
      { stepId: "ab", variant: "A", enrollments: nA, engagement: step("mailA") },
      { stepId: "ab", variant: "B", enrollments: nB, engagement: step("mailB") },
    ]);
  });
});
