import { sql } from "drizzle-orm";
import { recomputeHealth } from "../../apps/core/health/compute";
import type { BenchStack } from "../stack";
import { type Ctx, type Figure, pool, round, rowsOf, seconds } from "./shared";

/** Health: a full recompute of 10k and 100k accounts (quick: 2k) against the goals. */
export async function health({ stack, mode, log }: Ctx): Promise<Figure[]> {
  const sizes =
    mode === "quick"
      ? [[2_000, 200_000]]
      : [
          [10_000, 1_000_000],
          [100_000, 10_000_000],
        ];
  const figures: Figure[] = [];
  for (const [n, m] of sizes as [number, number][]) {
    // A workspace of its own per size, so the recompute sees exactly these accounts.
    const ws = await stack.database.db.execute(
      sql`insert into workspaces (name) values ('health bench') returning id`,
    );
    const workspaceId = String(rowsOf<{ id: string }>(ws)[0]?.id);
    log(`health: seeding ${n} accounts and ${m} events`);
    let started = performance.now();
    await stack.database.db.execute(sql`
      insert into accounts (workspace_id, external_id, name, tier, licenses, lifecycle_stage)
      select ${workspaceId}, 'h' || g, 'Account ' || g, (array['tech_touch','low_touch','high_touch'])[1 + g % 3], 10 + g % 40, 'adoption'
      from generate_series(1, ${n}) g`);
    // Two loaders at once over halves of the range, one per core, into a table without its indexes.
    const half = Math.ceil(m / 2);
    await withoutIndexes(stack, "events", () =>
      Promise.all(
        [
          [1, half],
          [half + 1, m],
        ].map(([from, to]) =>
          stack.database.db.execute(sql`
            insert into events (workspace_id, event_id, account_id, name, occurred_at, properties)
            select ${workspaceId}, 'e' || g, a.ids[1 + (g % ${n})],
              (array['login','report_created','dashboard_shared','export','outcome_achieved','message_opened'])[1 + (g % 6)],
              now() - ((g % 90) || ' days')::interval - ((g % 24) || ' hours')::interval,
              jsonb_build_object('user', 'u' || (g % 13))
            from generate_series(${from}::int, ${to}::int) g,
              (select array_agg(id) as ids from accounts where workspace_id = ${workspaceId}) a`),
        ),
      ),
    );
    await stack.database.db.execute(sql`vacuum (analyze) events`);
    const seedSeconds = seconds(performance.now() - started);
    log(`health: seeded in ${round(seedSeconds)} s; recomputing`);
    started = performance.now();
    const result = await recomputeHealth(stack.deps, workspaceId, new Date());
    const took = seconds(performance.now() - started);
    if (result.accounts !== n) throw new Error(`recompute scored ${result.accounts} of ${n} accounts`);
    const goal = n <= 10_000 ? 5 : 60;
    figures.push({
      scenario: "health",
      name: `full recompute, ${n.toLocaleString("en")} accounts / ${m.toLocaleString("en")} events`,
      value: round(took, 2),
      unit: "s",
      limit: n >= 10_000 ? goal : undefined,
      ratio: n >= 10_000 ? round(goal / took, 2) : undefined,
      note: `${round(m / took / 1000, 0)}k events/s, ${round(n / took, 0)} accounts/s`,
    });
    // The next size and later scenarios get a database without these rows: TRUNCATE, as a cascading
    // delete of 10M events would take minutes (earlier scenarios' events go too; none reads them again).
    await stack.database.db.execute(sql`truncate events`);
    await stack.database.db.execute(sql`delete from workspaces where id = ${workspaceId}`);
  }
  return figures;
}

/**
 * Runs a bulk `load` into `table` with its indexes and constraints dropped, then rebuilds them
 * from the definitions read back from the catalog, so the measured queries see the schema's own.
 */
async function withoutIndexes(stack: BenchStack, table: string, load: () => Promise<unknown>) {
  const { db } = stack.database;
  const constraints = rowsOf<{ name: string; def: string }>(
    await db.execute(sql`
      select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid = ${table}::regclass order by contype = 'f'`),
  );
  const indexes = rowsOf<{ name: string; def: string }>(
    await db.execute(sql`
      select indexname as name, indexdef as def from pg_indexes
      where schemaname = current_schema() and tablename = ${table}
        and indexname not in (select conname from pg_constraint where conrelid = ${table}::regclass)`),
  );
  for (const c of [...constraints].reverse())
    await db.execute(sql.raw(`alter table ${table} drop constraint "${c.name}"`));
  for (const i of indexes) await db.execute(sql.raw(`drop index "${i.name}"`));
  await load();
  const addConstraint = (c: { name: string; def: string }) =>
    `alter table ${table} add constraint "${c.name}" ${c.def}`;
  const foreign = (c: { def: string }) => c.def.startsWith("FOREIGN KEY");
  // Independent builds, two at a time (one per core); foreign keys last, once the keys exist.
  await pool(
    [...indexes.map((i) => i.def), ...constraints.filter((c) => !foreign(c)).map(addConstraint)],
    2,
    (statement) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`set local maintenance_work_mem = '512MB'`);
        await tx.execute(sql.raw(statement));
      }),
  );
  for (const c of constraints.filter(foreign)) await db.execute(sql.raw(addConstraint(c)));
}
