import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrateAndBootstrap } from "../apps/cli/database-part";
import { SEND_LEASE_SECONDS } from "../apps/core/delivery/reservations";
import { parseEnv } from "../apps/env";
import { openDatabase } from "../db/client";
import { eventually, freePort, runVolante, type VolanteProcess } from "./harness";
import { freshServerDatabase } from "./test-database";

// Issue 19's production layout as an operator runs it: `volante migrate`, two `volante api` and two
// `volante worker` processes started at the same moment on an empty PostgreSQL database of the
// test's own and the suite's Temporal server; a slow mail server; a worker and then an API killed.

const ENROLLMENTS = 1_000;
/**
 * Issue 19's bound: every run completed within the send lease (apps/core/delivery/reservations.ts
 * SEND_LEASE_SECONDS) + 30 s of the kill. Sends are heartbeated activities (decision 0043): the dead
 * worker's attempts time out after 15 s and their retries take its reservations over at once, so the
 * runs finish well inside it.
 */
const COMPLETION_BOUND_MS = (SEND_LEASE_SECONDS + 30) * 1_000;
const SMTP_REPLY_MS = 250;
const made: { drop(): Promise<void> }[] = [];
const homes: string[] = [];
const processes: VolanteProcess[] = [];

/** A fresh database on the suite's PostgreSQL server, dropped after the file. */
async function freshDatabase(): Promise<string> {
  const fresh = await freshServerDatabase("topology");
  made.push(fresh);
  return fresh.url;
}

/**
 * A real SMTP server that answers each message after `SMTP_REPLY_MS`, keeping every message it
 * received in full and how many transactions (MAIL FROM to its reply) are open right now.
 */
async function slowSmtp() {
  const received: { to: string; messageId: string }[] = [];
  const open = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onMailFrom(_address, session, callback) {
      open.add(session.id);
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", () => open.delete(session.id));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const messageId = /^Message-ID:\s*(\S+)/im.exec(raw)?.[1] ?? "";
        received.push({ to: session.envelope.rcptTo[0]?.address ?? "", messageId });
        setTimeout(() => {
          open.delete(session.id);
          callback();
        }, SMTP_REPLY_MS);
      });
    },
    onClose(session) {
      open.delete(session.id);
    },
  });
  // A client killed mid-transaction resets its socket; smtp-server re-emits that as the server's
  // "error", which with no listener would be an uncaught exception in the test process.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    received,
    openTransactions: () => open.size,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let smtp: Awaited<ReturnType<typeof slowSmtp>>;

beforeAll(async () => {
  smtp = await slowSmtp();
});
afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) killGroup(p);
  await Promise.all(processes.map((p) => p.exited));
  await smtp?.close();
  for (const home of homes) await rm(home, { recursive: true, force: true });
  for (const fresh of made) await fresh.drop();
});

/** SIGKILL to the process group: tsx runs Volante in a child of its own. */
function killGroup(p: VolanteProcess): void {
  try {
    process.kill(-(p.child.pid ?? 0), "SIGKILL");
  } catch {
    // already gone
  }
}

async function newHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "volante-topology-"));
  homes.push(home);
  return home;
}

describe("two first starts on an empty database", () => {
  it.each([
    ["with VOLANTE_API_KEY", `vk_topology_${randomBytes(12).toString("hex")}`],
    ["without VOLANTE_API_KEY", undefined],
  ])("make exactly one workspace, %s, and neither fails", async (_, apiKey) => {
    const url = await freshDatabase();
    const starts = await Promise.all(
      [0, 1, 2].map(async () => {
        const home = await newHome();
        const parsed = parseEnv({ DATABASE_URL: url, VOLANTE_HOME: home, VOLANTE_API_KEY: apiKey });
        if (!parsed.ok) throw new Error(parsed.message);
        return { env: parsed.env, database: await openDatabase({ url, max: 2 }) };
      }),
    );
    try {
      await Promise.all(starts.map(({ env, database }) => migrateAndBootstrap(env, database, false)));
      const sql = postgres(url, { max: 1 });
      const [counts] = await sql<{ workspaces: number; keys: number }[]>`
        select (select count(*)::int from workspaces) as workspaces, (select count(*)::int from api_keys) as keys`;
      await sql.end();
      expect(counts).toEqual({ workspaces: 1, keys: 1 });
      // Without the variable, the one start that made the workspace kept its key.
      const kept = await Promise.all(
        starts.map(({ env }) => readFile(join(env.home, "first-api-key"), "utf8").catch(() => undefined)),
      );
      expect(kept.filter(Boolean)).toHaveLength(apiKey ? 0 : 1);
    } finally {
      await Promise.all(starts.map(({ database }) => database.close()));
    }
  });
});

describe("volante api ×2 and volante worker ×2 on one PostgreSQL and one Temporal", () => {
  it("start together on an empty database, deliver every touch once by Message-ID through a worker's SIGKILL, and keep serving after an API's", async () => {
    const databaseUrl = await freshDatabase();
    const apiKey = `vk_topology_${randomBytes(12).toString("hex")}`;
    const apiPorts = [await freePort(), await freePort()];
    const common: Record<string, string | undefined> = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: inject("temporalAddress"),
      TEMPORAL_NAMESPACE: inject("temporalNamespace"),
      TEMPORAL_TASK_QUEUE: `topology-${process.pid}-${Date.now()}`,
      // The first API stands for the load balancer in the links.
      VOLANTE_PUBLIC_URL: `http://127.0.0.1:${apiPorts[0]}`,
      SMTP_URL: smtp.url,
      VOLANTE_API_KEY: apiKey,
      VOLANTE_RATE_LIMIT_KEY: "off",
      VOLANTE_RATE_LIMIT_ADDRESS: "off",
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
    };
    const spawn = async (args: string[], env: Record<string, string>) => {
      const p = runVolante(args, { ...common, VOLANTE_HOME: await newHome(), ...env }, { detached: true });
      processes.push(p);
      return p;
    };
    const workerPorts = [await freePort(), await freePort()];
    // All at once: nobody waits for the migration.
    const [migrate, apiA, apiB, workerA, workerB] = await Promise.all([
      spawn(["migrate"], {}),
      spawn(["api"], { PORT: String(apiPorts[0]) }),
      spawn(["api"], { PORT: String(apiPorts[1]) }),
      spawn(["worker"], { VOLANTE_WORKER_PORT: String(workerPorts[0]) }),
      spawn(["worker"], { VOLANTE_WORKER_PORT: String(workerPorts[1]) }),
    ]);
    expect(await migrate.exited, migrate.output()).toBe(0);
    const up = (p: VolanteProcess, port: number | undefined) =>
      eventually(
        async () => {
          if (p.child.exitCode !== null) throw new Error(`exited early:\n${p.output()}`);
          const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
          return res?.status === 200 ? true : undefined;
        },
        `a process on port ${port} to answer /healthz`,
        90_000,
      );
    await Promise.all([
      up(apiA, apiPorts[0]),
      up(apiB, apiPorts[1]),
      up(workerA, workerPorts[0]),
      up(workerB, workerPorts[1]),
    ]);

    // The worker's probe serves its Prometheus text too: Volante's and the Temporal SDK's (worker slots).
    const workerMetrics = await (await fetch(`http://127.0.0.1:${workerPorts[0]}/metrics`)).text();
    expect(workerMetrics).toMatch(/^# HELP volante_smtp_send_duration_seconds /m);
    expect(workerMetrics).toMatch(/^temporal_\w+/m);

    const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
    try {
      const [{ n: workspaces } = { n: -1 }] = await sql<
        { n: number }[]
      >`select count(*)::int as n from workspaces`;
      expect(workspaces).toBe(1);

      const call = (port: number | undefined) => async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        if (res.status >= 300)
          throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
        return res;
      };
      const apis = [call(apiPorts[0]), call(apiPorts[1])] as const;
      await apis[0]("PUT", "/v1/journeys/topology", {
        name: "Topology",
        trigger: { type: "manual" },
        steps: [{ id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" }],
      });
      await apis[1]("POST", "/v1/journeys/topology/publish");

      // Every other account through the other API, a bounded number of requests in flight.
      await inBatches(ENROLLMENTS, 16, async (i) => {
        const api = apis[i % 2] ?? apis[0];
        await api("PUT", `/v1/accounts/acct-${i}`, { name: `Account ${i}`, tier: "tech_touch" });
        await api("PUT", `/v1/accounts/acct-${i}/contacts/admin`, {
          email: `admin${i}@topology.example`,
          role: "admin",
        });
        await api("POST", "/v1/enrollments", { journey: "topology", account: `acct-${i}` });
      });

      // Mid-send: messages are being answered and others wait on the wire.
      await eventually(
        async () => (smtp.received.length >= 100 && smtp.openTransactions() > 0 ? true : undefined),
        "a hundred messages delivered and more on the wire",
        60_000,
      );
      const onTheWire = smtp.openTransactions();
      const killedAt = Date.now();
      killGroup(workerA);
      await workerA.exited;

      let done = 0;
      const completed = await eventually(
        async () => {
          const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`
            select count(*)::int as n from enrollments where status = 'completed'`;
          done = n;
          return n === ENROLLMENTS ? Date.now() - killedAt : undefined;
        },
        `all ${ENROLLMENTS} runs to complete within ${COMPLETION_BOUND_MS / 1000} s of the kill`,
        COMPLETION_BOUND_MS,
      ).catch((err: Error) => {
        throw new Error(
          `${err.message}: ${done} completed, ${smtp.received.length} messages received, ${onTheWire} on the wire at the kill\nsurviving worker:\n${workerB.output().slice(-4000)}`,
        );
      });
      process.stderr.write(
        `[topology] ${ENROLLMENTS} runs completed ${Math.round(completed / 1000)} s after the kill; ${onTheWire} sends on the wire at the kill; ${smtp.received.length} messages received\n`,
      );

      const sent = await sql<{ messageId: string }[]>`
        select message_id as "messageId" from contact_sends where channel = 'email' and status = 'sent'`;
      // On a failure, what became of each run without a sent reservation.
      const stragglers = await sql`
        select e.id, e.status, t.status as touch, t.reason, c.status as send, c.attempt, c.reason as why
        from enrollments e left join touches t on t.enrollment_id = e.id
          left join contact_sends c on c.touch_id = t.id
        where c.status is distinct from 'sent'`;
      expect(sent, JSON.stringify(stragglers)).toHaveLength(ENROLLMENTS);
      const ids = new Set(smtp.received.map((m) => m.messageId));
      // Every touch delivered, each with its own Message-ID...
      expect(ids.size).toBe(ENROLLMENTS);
      for (const { messageId } of sent) expect(ids.has(messageId)).toBe(true);
      expect(new Set(smtp.received.map((m) => m.to)).size).toBe(ENROLLMENTS);
      // ...and a message twice only with its Message-ID, no more often than sends were on the wire.
      expect(smtp.received.length - ENROLLMENTS).toBeLessThanOrEqual(onTheWire);

      killGroup(apiA);
      await apiA.exited;
      const res = await apis[1]("GET", "/v1/accounts/acct-1");
      expect(res.status).toBe(200);
      expect(
        (await apis[1]("PUT", "/v1/accounts/after-kill", { name: "After", tier: "tech_touch" })).status,
      ).toBe(201);
      expect((await fetch(`http://127.0.0.1:${apiPorts[1]}/healthz`)).status).toBe(200);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }, 280_000);
});

/** Runs `work(0..count-1)` with at most `width` at a time. */
async function inBatches(count: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}
