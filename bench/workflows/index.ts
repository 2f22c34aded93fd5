// The bench worker's workflows: every production workflow, plus the bare-engine baseline.
export * from "../../workflows/index";
export { benchBaseline } from "./bench-baseline";
