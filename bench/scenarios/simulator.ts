import { readFile } from "node:fs/promises";
import { syntheticPopulation } from "../../workflows/journey/population";
import { JourneyDefinition } from "../../workflows/journey/schema";
import { simulate } from "../../workflows/journey/simulate";
import { type Ctx, type Figure, round, seconds } from "./shared";

/** Simulator: 10,000 accounts through the onboarding playbook over 90 days. */
export async function simulator({ log }: Ctx): Promise<Figure[]> {
  const file = JSON.parse(
    await readFile(new URL("../../templates/journeys/onboarding-tech-touch.json", import.meta.url), "utf8"),
  );
  const journey = JourneyDefinition.parse(file);
  const from = "2026-01-01T00:00:00.000Z";
  const window = { from, to: new Date(Date.parse(from) + 90 * 86_400_000).toISOString() };
  log(`simulator: 10,000 accounts × ${journey.steps.length} steps × 90 days`);
  const started = performance.now();
  const run = simulate(journey, syntheticPopulation(10_000, window, journey), window, {});
  const took = seconds(performance.now() - started);
  return [
    {
      scenario: "simulator",
      name: `10,000 accounts × ${journey.steps.length} steps × 90 days`,
      value: round(took, 2),
      unit: "s",
      limit: 10,
      ratio: round(10 / took, 2),
      note: `${run.summary.touches} touches`,
    },
  ];
}
