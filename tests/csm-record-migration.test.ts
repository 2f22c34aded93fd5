import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listCsms } from "../apps/core/escalations/csms";
import { settingsOf } from "../apps/core/workspace/settings";
import type { Database } from "../db/client";
import { migrate } from "../db/migrate";
import { databaseBefore } from "./migration-harness";

/** Migration 0017 moves each CSM's language and zone from settings `escalations.csms` to its row. */

const MOVE = "0017_csm_locale_timezone";

let database: Database;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ database, close } = await databaseBefore(MOVE));
});
afterAll(async () => {
  await close?.();
});

async function workspace(name: string, settings: unknown): Promise<string> {
  const rows = await database.db.execute<{ id: string }>(
    sql`insert into workspaces (name, settings) values (${name}, ${JSON.stringify(settings)}::jsonb) returning id`,
  );
  const id = (rows as unknown as { rows: { id: string }[] }).rows[0]?.id;
  if (!id) throw new Error("no workspace");
  return id;
}

async function csm(workspaceId: string, email: string) {
  await database.db.execute(sql`insert into csms (workspace_id, email) values (${workspaceId}, ${email})`);
}

async function storedSettings(workspaceId: string): Promise<unknown> {
  const rows = await database.db.execute<{ settings: unknown }>(
    sql`select settings from workspaces where id = ${workspaceId}`,
  );
  return (rows as unknown as { rows: { settings: unknown }[] }).rows[0]?.settings;
}

describe("moving the CSMs' language and zone to their records", () => {
  it("copies them onto existing CSMs only, drops the settings key and keeps the fallback owner", async () => {
    const moved = await workspace("moved", {
      escalations: {
        fallbackOwner: "lead@vendor.example",
        csms: {
          "hanako@vendor.example": { locale: "ja-JP", timezone: "Asia/Tokyo" },
          "sam@vendor.example": { timezone: "America/New_York" },
          "pierre@vendor.example": { locale: "fr", timezone: "Europe/Paris" },
          "ghost@vendor.example": { locale: "ja", timezone: "Asia/Tokyo" },
        },
      },
      delivery: { defaultTimezone: "Europe/London" },
    });
    for (const email of ["hanako@vendor.example", "sam@vendor.example", "pierre@vendor.example"])
      await csm(moved, email);
    const untouched = await workspace("untouched", { escalations: { fallbackOwner: null } });
    await csm(untouched, "hanako@vendor.example");

    await migrate(database);

    const shown = (await listCsms(database.db, moved)).map(({ email, locale, timezone }) => ({
      email,
      locale,
      timezone,
    }));
    // fr is no language the email is written in: the default (en); ghost@ was no CSM and is not made one.
    expect(shown).toEqual([
      { email: "hanako@vendor.example", locale: "ja", timezone: "Asia/Tokyo" },
      { email: "pierre@vendor.example", locale: null, timezone: "Europe/Paris" },
      { email: "sam@vendor.example", locale: null, timezone: "America/New_York" },
    ]);
    expect(await storedSettings(moved)).toEqual({
      escalations: { fallbackOwner: "lead@vendor.example" },
      delivery: { defaultTimezone: "Europe/London" },
    });
    expect(settingsOf(await storedSettings(moved)).escalations).toEqual({
      fallbackOwner: "lead@vendor.example",
    });

    // A CSM of another workspace with the same address takes nothing from this one.
    expect((await listCsms(database.db, untouched))[0]).toMatchObject({ locale: null, timezone: null });
    expect(await storedSettings(untouched)).toEqual({ escalations: { fallbackOwner: null } });
  });

  it("reads settings a previous version still wrote with the key, ignoring it", () => {
    const stored = {
      escalations: { fallbackOwner: "lead@vendor.example", csms: { "a@vendor.example": { locale: "ja" } } },
    };
    expect(settingsOf(stored).escalations).toEqual({ fallbackOwner: "lead@vendor.example" });
  });
});
