import { rm } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  accounts,
  contacts,
  enrollments,
  enrollmentTrace,
  escalations,
  events,
  touches,
} from "../../../db/schema/index";
import { exitEnrollment, type RuntimeDeps } from "../enrollments/runtime";
import type { Services } from "../shared/services";
import { findAccountRow } from "./accounts";
import { rememberUnsubscribes } from "./erased-addresses";

/**
 * Erasure (a data subject's request, an account that leaves): the person's or the account's data goes
 * from every table and from the dev outbox, and what must outlive it (an unsubscribe) is kept as a
 * keyed hash (erased-addresses.ts). Decision 0026.
 */

export type ErasureDeps = RuntimeDeps & Pick<Services, "outboxDir" | "log">;
export type Erasure = { ok: true } | { ok: false; refusal: "not_found"; detail: string };

/** What stands in for an erased value inside the records that must stay (a touch, a trace entry). */
export const ERASED = "[erased]";

/** How long a run asked to exit may take before it is terminated (a worker that is away). */
const EXIT_WAIT_MS = 10_000;

/**
 * Erases an account: its runs leave their journeys first (so none writes or sends after), then the
 * account row goes with everything that cascades from it (contacts, events, enrollments and their
 * touches, trace, escalations, in-app messages, health), then its outbox files.
 */
export async function eraseAccount(
  deps: ErasureDeps,
  workspaceId: string,
  externalId: string,
): Promise<Erasure> {
  const account = await findAccountRow(deps.db, workspaceId, externalId);
  if (!account)
    return { ok: false, refusal: "not_found", detail: `No account with externalId "${externalId}".` };
  await stopRuns(deps, account.id);
  const files = await deps.db.transaction(async (tx) => {
    const people = await tx
      .select({ id: contacts.id })
      .from(contacts)
      .where(eq(contacts.accountId, account.id));
    await rememberUnsubscribes(
      tx as unknown as Db,
      workspaceId,
      people.map((p) => p.id),
      deps.clock.now(),
    );
    const sent = await tx
      .select({ delivery: touches.delivery })
      .from(touches)
      .innerJoin(enrollments, eq(enrollments.id, touches.enrollmentId))
      .where(eq(enrollments.accountId, account.id));
    await tx.delete(accounts).where(eq(accounts.id, account.id));
    return sent.flatMap((t) => outboxFilesOf(t.delivery));
  });
  await removeOutboxFiles(deps, files);
  return { ok: true };
}

/**
 * Erases one contact: its row (with its unsubscribes, sends and in-app messages), the events it did,
 * and its address and id wherever a record of the account keeps them (touches, the trace, escalation
 * notes), replaced by `[erased]`; its outbox files are removed. Runs are per account and go on.
 */
export async function eraseContact(
  deps: ErasureDeps,
  workspaceId: string,
  accountExternalId: string,
  externalId: string,
): Promise<Erasure> {
  const account = await findAccountRow(deps.db, workspaceId, accountExternalId);
  const [contact] = account
    ? await deps.db
        .select()
        .from(contacts)
        .where(and(eq(contacts.accountId, account.id), eq(contacts.externalId, externalId)))
    : [];
  if (!account || !contact)
    return {
      ok: false,
      refusal: "not_found",
      detail: `No contact "${externalId}" on account "${accountExternalId}".`,
    };
  const needles = [contact.email.toLowerCase(), contact.id];
  const mentions = (column: unknown) =>
    or(...needles.map((n) => sql`position(${n} in lower(${column}::text)) > 0`));
  const files = await deps.db.transaction(async (tx) => {
    const db = tx as unknown as Db;
    await rememberUnsubscribes(db, workspaceId, [contact.id], deps.clock.now());
    await tx
      .delete(events)
      .where(
        and(
          eq(events.accountId, account.id),
          or(eq(events.contactId, contact.id), mentions(events.properties)),
        ),
      );
    const runs = tx
      .select({ id: enrollments.id })
      .from(enrollments)
      .where(eq(enrollments.accountId, account.id));
    const found: string[] = [];
    for (const t of await tx
      .select()
      .from(touches)
      .where(
        and(inArray(touches.enrollmentId, runs), or(mentions(touches.delivery), mentions(touches.recipient))),
      )) {
      await tx
        .update(touches)
        .set({ recipient: scrubText(t.recipient, needles), delivery: scrub(t.delivery, needles, found) })
        .where(eq(touches.id, t.id));
    }
    for (const entry of await tx
      .select()
      .from(enrollmentTrace)
      .where(and(inArray(enrollmentTrace.enrollmentId, runs), mentions(enrollmentTrace.detail)))) {
      await tx
        .update(enrollmentTrace)
        .set({ detail: scrub(entry.detail, needles, found) })
        .where(eq(enrollmentTrace.id, entry.id));
    }
    for (const e of await tx
      .select()
      .from(escalations)
      .where(
        and(
          eq(escalations.accountId, account.id),
          or(mentions(escalations.reason), mentions(escalations.notes), mentions(escalations.resolution)),
        ),
      )) {
      await tx
        .update(escalations)
        .set({
          reason: scrubText(e.reason, needles),
          notes: e.notes && scrubText(e.notes, needles),
          resolution: e.resolution && scrubText(e.resolution, needles),
        })
        .where(eq(escalations.id, e.id));
    }
    await tx.delete(contacts).where(eq(contacts.id, contact.id));
    return found;
  });
  await removeOutboxFiles(deps, files);
  return { ok: true };
}

/**
 * Asks each running enrollment of the account to exit (the API's exit), waits for the runs to end so
 * none sends or writes after the erasure, and terminates any that does not end in time.
 */
async function stopRuns(deps: ErasureDeps, accountId: string): Promise<void> {
  const running = await deps.db
    .select({ id: enrollments.id, workflowId: enrollments.workflowId })
    .from(enrollments)
    .where(and(eq(enrollments.accountId, accountId), inArray(enrollments.status, ["active", "held"])));
  for (const run of running) await exitEnrollment(deps, run, "erased");
  await Promise.all(
    running.map(async (run) => {
      const handle = deps.client.workflow.getHandle(run.workflowId);
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        handle.result().then(
          () => true,
          () => true,
        ),
        new Promise<false>((done) => {
          timer = setTimeout(() => done(false), EXIT_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (ended) return;
      deps.log.warn("a run did not exit in time for an erasure; terminated", { workflowId: run.workflowId });
      await handle.terminate("erased").catch((err: Error) => {
        if (err.name !== "WorkflowNotFoundError") throw err;
      });
    }),
  );
}

/** The outbox files a touch's delivery record names (`files`, and each delivery's `file`). */
function outboxFilesOf(delivery: Record<string, unknown>): string[] {
  const { files, delivered } = delivery as { files?: unknown; delivered?: unknown };
  const named = [
    ...(Array.isArray(files) ? files : []),
    ...(Array.isArray(delivered) ? delivered.map((d) => (d as { file?: unknown } | null)?.file) : []),
  ];
  return named.filter((f): f is string => typeof f === "string");
}

/** Removes files, only ever inside the outbox directory (the names come from the database). */
async function removeOutboxFiles(deps: ErasureDeps, files: string[]): Promise<void> {
  const root = resolve(deps.outboxDir) + sep;
  for (const file of new Set(files)) {
    const path = resolve(file);
    if (!path.startsWith(root)) continue;
    await rm(path, { force: true });
  }
}

/** A copy of a JSON value with every string that mentions a needle replaced; the originals go to `found`. */
function scrub<T>(value: T, needles: string[], found: string[]): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (!needles.some((n) => v.toLowerCase().includes(n))) return v;
      found.push(v);
      return ERASED;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** Free text with each mention of a needle replaced (a CSM's notes keep the rest of what they said). */
function scrubText(text: string, needles: string[]): string {
  return needles.reduce(
    (out, n) => out.replace(new RegExp(n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"), ERASED),
    text,
  );
}
