import net from "node:net";
import { inject } from "vitest";
import { type Database, openDatabase } from "../db/client";
import { migrate } from "../db/migrate";

/**
 * Database round trips, counted for the tests that bound them (a touch, an enrollment): on the wire
 * for PostgreSQL (a write the client then waits on is one round trip, so postgres.js's
 * parse-and-describe before an unprepared statement counts), as calls into the engine for PGlite.
 */
export type Counter = { trips: number };

/** A socket for postgres.js that counts round trips: the first data after the client wrote. */
function countingSocket(url: string, counter: Counter) {
  const { hostname, port } = new URL(url);
  return () => {
    const socket = net.connect(Number(port || 5432), hostname);
    let awaiting = false;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      awaiting = true;
      return write(...args);
    }) as typeof socket.write;
    socket.on("data", () => {
      if (awaiting) counter.trips++;
      awaiting = false;
    });
    return socket;
  };
}

/** PGlite answers in process: each query or exec is one call, a transaction its begin and commit besides. */
function countPglite(database: Database, counter: Counter) {
  type Runner = { query: (...a: unknown[]) => Promise<unknown>; exec: (...a: unknown[]) => Promise<unknown> };
  const wrap = (target: Runner) => {
    const query = target.query.bind(target);
    const exec = target.exec.bind(target);
    target.query = (...a) => {
      counter.trips++;
      return query(...a);
    };
    target.exec = (...a) => {
      counter.trips++;
      return exec(...a);
    };
  };
  const pglite = database.pglite as unknown as Runner & {
    transaction: (fn: (tx: Runner) => Promise<unknown>) => Promise<unknown>;
  };
  wrap(pglite);
  const transaction = pglite.transaction.bind(pglite);
  pglite.transaction = (fn) => {
    counter.trips += 2;
    return transaction((tx) => {
      wrap(tx);
      return fn(tx);
    });
  };
}

export async function openCountingDatabase(counter: Counter): Promise<Database> {
  const url = inject("databaseUrl");
  // One connection: its prepared statements are those the warm-up transition prepared.
  if (url) return openDatabase({ url, max: 1, socket: countingSocket(url, counter) });
  const database = await openDatabase({});
  await migrate(database);
  countPglite(database, counter);
  return database;
}
