import { mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { type Database, openDatabase } from "../../db/client";
import { migrate } from "../../db/migrate";
import { systemClock } from "../core/shared/services";
import {
  type ApiKeyInfo,
  createKey,
  createWorkspace,
  listApiKeys,
  revokeKey,
} from "../core/workspace/api-keys";
import type { Role } from "../core/workspace/roles";
import { createUserFromCli, listUsersFromCli, type NewUser } from "../core/workspace/users";
import type { Env } from "../env";
import { type AdminAccess, readAdminAccess } from "./admin-access";
import { isAlive } from "./process-alive";

/**
 * One writer (docs/decisions/0033-one-writer.md): embedded PGlite allows one process on its data
 * directory, so while Volante runs on the same VOLANTE_HOME the CLI asks it (its loopback admin
 * endpoint) instead of opening the files; when nothing runs, the CLI holds the home's lock
 * (`volante.pid`) while it works, so a `volante start` meanwhile refuses rather than becoming a second
 * writer. On PostgreSQL (DATABASE_URL) the CLI writes directly: the API reads keys on every request,
 * so a revoke takes effect at once there too.
 */
export type StateStore = {
  /** Where the work is done, for the messages: "the running Volante (pid N)" or "the database". */
  via: string;
  listKeys(workspaceId?: string): Promise<ApiKeyInfo[]>;
  createKey(name: string, workspaceId?: string, role?: Role): ReturnType<typeof createKey>;
  revokeKey(keyOrId: string): ReturnType<typeof revokeKey>;
  createUser(input: NewUser, workspaceId?: string): ReturnType<typeof createUserFromCli>;
  listUsers(workspaceId?: string): ReturnType<typeof listUsersFromCli>;
  /** A workspace with its admin key; `schedule` says whether its health Schedule exists yet. */
  createWorkspace(name: string): Promise<{ workspaceId: string; apiKey: string; schedule: string }>;
  migrate(): Promise<void>;
  close(): Promise<void>;
};

/** How long a command waits for a Volante that holds the home to publish its admin endpoint (it may be starting). */
const ADMIN_WAIT_MS = 15_000;

/** The running Volante's admin endpoint, or the database itself when nothing else holds it. */
export async function openStateStore(env: Env): Promise<StateStore> {
  if (env.DATABASE_URL) return databaseStore(env, await openMigrated(env), async () => {});
  const holder = await awaitHolder(env.home);
  if (holder.kind === "server") return serverStore(holder.pid, holder.access);
  if (holder.kind === "busy") throw new Error(busyMessage(env.home, holder.pid));
  const release = await lockHome(env.home);
  try {
    return databaseStore(env, await openMigrated(env), release);
  } catch (err) {
    await release();
    throw err;
  }
}

/**
 * The database for a command the admin endpoint does not offer (`workspace show|set`): refused while
 * a Volante holds the home's PGlite files.
 */
export async function openStateDatabase(env: Env): Promise<{ database: Database; close(): Promise<void> }> {
  if (env.DATABASE_URL) {
    const database = await openMigrated(env);
    return { database, close: () => database.close() };
  }
  const pid = await holderPid(env.home);
  if (pid !== undefined) {
    throw new Error(
      `pid ${pid} (a running Volante, or another volante command) holds the embedded database in ${env.home}, which allows one process: nothing was read or changed. Use the API (GET/PATCH /v1/workspace) while Volante runs, or stop it first.`,
    );
  }
  const release = await lockHome(env.home);
  try {
    const database = await openMigrated(env);
    return {
      database,
      close: async () => {
        await database.close();
        await release();
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}

function busyMessage(home: string, pid: number): string {
  return `pid ${pid} holds ${home} (a Volante still starting, or another volante command) and has not published its admin endpoint; the embedded database allows one process, so nothing was changed: retry once it has started, or stop it first.`;
}

async function openMigrated(env: Env): Promise<Database> {
  // `keys list` before the first start: the state directory does not exist yet.
  if (!env.DATABASE_URL) await mkdir(env.home, { recursive: true });
  const database = await openDatabase(
    env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: join(env.home, "pgdata") },
  );
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

type Holder =
  | { kind: "none" }
  | { kind: "server"; pid: number; access: AdminAccess }
  | { kind: "busy"; pid: number };

const pidFile = (home: string) => join(home, "volante.pid");

/** The live process named in `<home>/volante.pid` other than this one, if any. */
async function holderPid(home: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(pidFile(home), "utf8").catch(() => ""), 10);
  return pid && pid !== process.pid && (await isAlive(pid)) ? pid : undefined;
}

async function awaitHolder(home: string): Promise<Holder> {
  const deadline = Date.now() + ADMIN_WAIT_MS;
  for (;;) {
    const pid = await holderPid(home);
    if (pid === undefined) return { kind: "none" };
    const access = await readAdminAccess(home);
    if (access) return { kind: "server", pid, access };
    if (Date.now() >= deadline) return { kind: "busy", pid };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Claims `<home>/volante.pid` for this command; the returned function gives it back. */
async function lockHome(home: string): Promise<() => Promise<void>> {
  await mkdir(home, { recursive: true });
  // The holder checked just before is gone (or never was): its stale file is replaced, exclusively.
  await rm(pidFile(home), { force: true });
  const file = await open(pidFile(home), "wx").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "EEXIST") throw new Error(`${home} was claimed by another process just now; retry.`);
    throw err;
  });
  await file.writeFile(`${process.pid}\n`);
  await file.close();
  return async () => {
    const holder = await readFile(pidFile(home), "utf8").catch(() => "");
    if (Number.parseInt(holder, 10) === process.pid) await rm(pidFile(home), { force: true });
  };
}

function databaseStore(env: Env, database: Database, release: () => Promise<void>): StateStore {
  const { db } = database;
  return {
    via: database.driver === "pglite" ? `the database in ${env.home}` : "the database (DATABASE_URL)",
    listKeys: (workspaceId) => listApiKeys(db, workspaceId),
    createKey: (name, workspaceId, role) => createKey(db, name, workspaceId, role),
    revokeKey: (keyOrId) => revokeKey(db, keyOrId, new Date()),
    // The set-password link is printed, never mailed: no mail transport or outbox is needed.
    createUser: (input, workspaceId) =>
      createUserFromCli(
        {
          db,
          clock: systemClock,
          outboxDir: "",
          publicUrl: env.VOLANTE_PUBLIC_URL ?? `http://localhost:${env.PORT}`,
        },
        input,
        workspaceId,
      ),
    listUsers: (workspaceId) => listUsersFromCli(db, workspaceId),
    createWorkspace: async (name) => {
      const created = await createWorkspace(db, name);
      return { ...created, schedule: await scheduleHealth(env, database) };
    },
    // Opening the store migrated it.
    migrate: async () => {},
    close: async () => {
      await database.close();
      await release();
    },
  };
}

function serverStore(pid: number, access: AdminAccess): StateStore {
  const call = async <T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${access.url}/admin${path}`, {
        method,
        headers: {
          authorization: `Bearer ${access.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new Error(
        `the running Volante (pid ${pid}) did not answer at ${access.url}: ${(err as Error).cause ?? (err as Error).message}`,
      );
    }
    const payload = (await res.json().catch(() => ({}))) as T & { detail?: string; title?: string };
    if (!res.ok) {
      throw new Error(
        `the running Volante (pid ${pid}) refused: ${res.status} ${payload.detail ?? payload.title ?? ""}`.trim(),
      );
    }
    return payload;
  };
  return {
    via: `the running Volante (pid ${pid})`,
    listKeys: async (workspaceId) => {
      const query = workspaceId ? `?workspace=${encodeURIComponent(workspaceId)}` : "";
      const { data } = await call<{
        data: (Omit<ApiKeyInfo, "createdAt" | "revokedAt"> & {
          createdAt: string;
          revokedAt: string | null;
        })[];
      }>("GET", `/keys${query}`);
      return data.map((k) => ({
        ...k,
        createdAt: new Date(k.createdAt),
        revokedAt: k.revokedAt ? new Date(k.revokedAt) : null,
      }));
    },
    createKey: (name, workspace, role) =>
      call("POST", "/keys", { name, ...(workspace ? { workspace } : {}), ...(role ? { role } : {}) }),
    revokeKey: (key) => call("POST", "/keys/revoke", { key }),
    createUser: (input, workspace) =>
      call("POST", "/users", { ...input, ...(workspace ? { workspace } : {}) }),
    listUsers: (workspace) =>
      call("GET", `/users${workspace ? `?workspace=${encodeURIComponent(workspace)}` : ""}`),
    createWorkspace: async (name) => ({
      ...(await call<{ workspaceId: string; apiKey: string }>("POST", "/workspaces", { name })),
      schedule: "Health Schedule created.",
    }),
    migrate: async () => {
      await call("POST", "/migrate");
    },
    close: async () => {},
  };
}

/** A new workspace's health Schedule, when Temporal answers now; else `npm start` creates it. */
async function scheduleHealth(env: Env, database: Database): Promise<string> {
  // Loaded on demand: the Temporal SDK is heavy, and most commands do not need it.
  const { Client, Connection } = await import("@temporalio/client");
  const { ensureHealthSchedules } = await import("../core/health/schedules");
  const address = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.TEMPORAL_PORT}`;
  try {
    const connection = await Connection.connect({
      address,
      tls: env.TEMPORAL_TLS || Boolean(env.TEMPORAL_API_KEY),
      ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
      connectTimeout: "2 seconds",
    });
    try {
      const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
      await ensureHealthSchedules(client, env.TEMPORAL_TASK_QUEUE, database.db);
      return "Health Schedule created.";
    } finally {
      await connection.close();
    }
  } catch {
    return `Temporal is not reachable at ${address}: the health Schedule is created at the next \`npm start\`.`;
  }
}
