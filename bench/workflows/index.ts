// The bench worker's workflows: every production workflow, plus the bare-engine baseline.
import { benchBaseline } from "./bench-baseline";
import type { BenchBaselineWorkflow } from "./contracts";

benchBaseline satisfies BenchBaselineWorkflow;

export * from "../../workflows/index";
export { benchBaseline };
