import { readFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import { type ParsedMail, simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Enrollment } from "../apps/core/enrollments/schemas";
import type { JourneyStats } from "../apps/core/journeys/stats";
import {
  eventually,
  type SmtpSink,
  smtpSink,
  startTestStack,
  type TestStack,
  type TestWorkspace,
} from "./harness";

// Issue 15, "Done when": a CRM sync as a new CS Ops team runs it. The accounts exist before the
// onboarding playbook; publishing backfills them; their admins arrive seconds later; every admin
// gets the welcome in the workspace's own identity, and the opens and clicks reach the stats.

const identity = {
  name: "Acme",
  productName: "Acme Cloud",
  appUrl: "https://app.acme.example/login",
  senderName: "Acme Customer Success",
  senderAddress: "success@acme.example",
  postalAddress: "Acme KK\n1-2-3 Marunouchi, Chiyoda-ku\nTokyo 100-0005, Japan",
  supportUrl: "https://acme.example/support",
};
const KEY = "onboarding-tech-touch";
const synced = ["sync-1", "sync-2", "sync-3"];

let smtp: SmtpSink;
let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  smtp = await smtpSink();
  stack = await startTestStack({ smtpUrl: smtp.url });
  ws = await stack.newWorkspace("Default");
  expect((await ws.request("PATCH", "/v1/workspace", identity)).status).toBe(200);
});
afterAll(async () => {
  await stack?.close();
  await smtp?.close();
});

async function put(path: string, body: Record<string, unknown>) {
  const res = await ws.request("PUT", path, body);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
}

async function publish(body: Record<string, unknown>) {
  const res = await ws.request("POST", `/v1/journeys/${KEY}/publish`, body);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function enrollmentsOfJourney(): Promise<Enrollment[]> {
  const res = await ws.request("GET", `/v1/enrollments?journey=${KEY}`);
  return ((await res.json()) as { data: Enrollment[] }).data;
}

/** A path of the public app, as the in-process app takes it. */
const path = (url: string) => new URL(url).pathname;

describe("a CRM sync onto the shipped onboarding playbook", () => {
  it("backfills the accounts that existed first, waits for their admins and reaches each with the workspace's welcome, opens and clicks counted", async () => {
    // The sync writes the accounts first, before any journey exists; two do not match the playbook.
    for (const id of synced) await put(`/v1/accounts/${id}`, { name: `${id} KK`, tier: "tech_touch" });
    await put("/v1/accounts/big-co", { name: "Big Co", tier: "high_touch" });
    await put("/v1/accounts/later-co", { name: "Later Co", tier: "tech_touch", lifecycleStage: "adoption" });

    const playbook = JSON.parse(
      await readFile(new URL(`../templates/journeys/${KEY}.json`, import.meta.url), "utf8"),
    );
    await put(`/v1/journeys/${KEY}`, playbook);

    // The dry run counts over the draft and changes nothing.
    const dry = await publish({ backfill: "dry_run" });
    expect(dry).toEqual({
      status: 200,
      body: { key: KEY, dryRun: true, matched: synced.length, wouldEnroll: synced.length, skipped: {} },
    });
    const unpublished = (await (await ws.request("GET", `/v1/journeys/${KEY}`)).json()) as {
      latestVersion: number | null;
    };
    expect(unpublished.latestVersion).toBeNull();
    expect(await enrollmentsOfJourney()).toEqual([]);

    const published = await publish({ backfill: true });
    expect(published.status).toBe(201);
    expect(published.body.backfill).toEqual({ matched: synced.length, enrolled: synced.length, skipped: {} });
    const enrolled = await enrollmentsOfJourney();
    expect(enrolled.map((e) => e.account).sort()).toEqual(synced);
    expect(enrolled.every((e) => e.trigger === "backfill")).toBe(true);

    // The admins come a few seconds after their accounts, as a CRM sync writes them.
    await delay(2_000);
    for (const id of synced) {
      await put(`/v1/accounts/${id}/contacts/admin`, {
        email: `admin@${id}.example`,
        name: `Admin of ${id}`,
        role: "admin",
      });
    }
    const mails: ParsedMail[] = await eventually(
      async () => {
        const mine = smtp.mail.filter((m) => synced.some((id) => m.to.includes(`admin@${id}.example`)));
        return mine.length === synced.length ? Promise.all(mine.map((m) => simpleParser(m.raw))) : undefined;
      },
      "a welcome to every admin at the SMTP server",
      30_000,
    );
    expect(
      mails.flatMap((m) => (m.to && "value" in m.to ? m.to.value.map((v) => v.address) : [])).sort(),
    ).toEqual(synced.map((id) => `admin@${id}.example`));

    for (const mail of mails) {
      expect(mail.subject).toBe("Welcome to Acme: your first three steps");
      expect(mail.from?.value).toEqual([{ name: identity.senderName, address: identity.senderAddress }]);
      const text = String(mail.text);
      const html = String(mail.html);
      expect(`${mail.subject}\n${text}\n${html}`).not.toMatch(/Default|\{\{/);
      expect(text).toContain("Welcome to Acme!");
      // The footer marketing law asks for: who sends it, and from where.
      for (const line of identity.postalAddress.split("\n")) expect(text).toContain(line);

      // The main button reaches the app through the signed click redirect; the pixel is served.
      const clicks = [...html.matchAll(/href="([^"]+\/t\/c\/[^"]+)"/g)].map((m) => path(m[1] as string));
      const redirects = await Promise.all(clicks.map((p) => stack.app.request(p)));
      const toApp = redirects.find((r) => r.headers.get("location") === identity.appUrl);
      expect(toApp?.status).toBe(302);
      const pixel = /<img src="([^"]+\/t\/o\/[^"]+)"/.exec(html)?.[1];
      if (!pixel) throw new Error(`no open pixel in the mail to ${mail.to}`);
      expect((await stack.app.request(path(pixel))).status).toBe(200);
    }

    const stats = (await (await ws.request("GET", `/v1/journeys/${KEY}/stats`)).json()) as JourneyStats;
    const welcome = stats.steps.find((s) => s.stepId === "welcome")?.engagement;
    expect(welcome).toMatchObject({
      delivered: synced.length,
      opened: synced.length,
      clicked: synced.length,
    });

    // Publishing again with a backfill enrolls no one twice.
    const again = await publish({ backfill: true });
    expect(again.status).toBe(200);
    expect(again.body.backfill).toEqual({
      matched: synced.length,
      enrolled: 0,
      skipped: { "already enrolled": synced.length },
    });
    expect((await enrollmentsOfJourney()).length).toBe(synced.length);
  });
});
