import { z } from "zod";
import { HealthBand, Stage, Tier } from "../../../workflows/journey/schema";
import { ExternalId } from "../shared/validators";

/** Most account ids one request may name; larger sets are said with tiers, stages, bands or owners. */
export const MAX_BULK_IDS = 10_000;

export const BulkFilter = z
  .strictObject({
    tiers: z.array(Tier).min(1).optional(),
    stages: z.array(Stage).min(1).optional(),
    bands: z.array(HealthBand).min(1).optional().meta({ description: "Current health bands" }),
    owners: z.array(z.email()).min(1).max(100).optional().meta({ description: "Owner CSMs' emails" }),
    accounts: z
      .array(ExternalId)
      .min(1)
      .max(MAX_BULK_IDS)
      .optional()
      .meta({ description: `Account externalIds, at most ${MAX_BULK_IDS}` }),
  })
  .refine((f) => Object.values(f).some((v) => v !== undefined), {
    message: "must name at least one of tiers, stages, bands, owners or accounts",
  })
  .meta({
    id: "BulkFilter",
    description: "Accounts matching every criterion given (and any value within one)",
    example: { tiers: ["tech_touch"], stages: ["onboarding"] },
  });
export type BulkFilter = z.infer<typeof BulkFilter>;
