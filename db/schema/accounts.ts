import {
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { workspaces } from "./workspaces";

export const tiers = ["high_touch", "low_touch", "tech_touch"] as const;
export const lifecycleStages = ["onboarding", "adoption", "expansion", "renewal", "churned"] as const;

/** A customer company. `externalId` is the id in the customer's own systems (CRM, billing). */
export const accounts = pgTable(
  "accounts",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    externalId: text("external_id").notNull(),
    name: text("name").notNull(),
    tier: text("tier", { enum: tiers }).notNull().default("tech_touch"),
    arr: numeric("arr", { precision: 14, scale: 2, mode: "number" }),
    licenses: integer("licenses"),
    contractStart: date("contract_start", { mode: "string" }),
    renewalDate: date("renewal_date", { mode: "string" }),
    lifecycleStage: text("lifecycle_stage", { enum: lifecycleStages }).notNull().default("onboarding"),
    ownerCsm: text("owner_csm"),
    timezone: text("timezone"),
    attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull().default({}),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }),
    lastLoginAt: timestamp("last_login_at", { withTimezone: true, mode: "date" }),
    /** The latest health run's result; history lives in account_health. */
    healthScore: integer("health_score"),
    healthBand: text("health_band", { enum: ["red", "yellow", "green"] }),
    healthComputedAt: timestamp("health_computed_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("accounts_workspace_external_id_key").on(t.workspaceId, t.externalId),
    index("accounts_workspace_stage_idx").on(t.workspaceId, t.lifecycleStage),
  ],
);
