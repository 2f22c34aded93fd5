import dagre from "@dagrejs/dagre";
import type { JourneyDefinition, Step } from "../../workflows/journey/schema";
import { linksOf } from "../../workflows/journey/validate-graph";

/** How a journey is drawn: boxes for the trigger, each step and the end, arrows between them. */
export type GraphNode = {
  id: string;
  kind: "trigger" | "end" | Step["type"];
  /** The step's id (absent for the trigger and the end). */
  stepId?: string;
  x: number;
  y: number;
  width: number;
  height: number;
};
export type GraphEdge = {
  from: string;
  to: string;
  way: "next" | "then" | "else" | "timeout" | "branch" | "start";
  /** A split branch's share, e.g. 50. */
  percent?: number;
  name?: string;
  points: { x: number; y: number }[];
  labelAt?: { x: number; y: number };
};
export type JourneyGraph = { width: number; height: number; nodes: GraphNode[]; edges: GraphEdge[] };

export const NODE_WIDTH = 232;
export const NODE_HEIGHT = 76;
const TRIGGER = "trigger";
const END = "end";

/**
 * Lays the journey out top to bottom with dagre (layered layout, the well-kept library behind many
 * flow editors): the trigger first, every step, one End for every way out (a `null` next, an exit
 * step, the last step falling through). Edges keep which way they are (then, else, timeout, a split's share).
 */
export function layoutJourney(journey: JourneyDefinition): JourneyGraph {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 36, ranksep: 44, edgesep: 16, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  // A label object per node: dagre writes each node's position into its own.
  const size = () => ({ width: NODE_WIDTH, height: NODE_HEIGHT });
  g.setNode(TRIGGER, { ...size(), height: 52 });
  journey.steps.forEach((step) => {
    g.setNode(`step:${step.id}`, size());
  });
  const edges: Omit<GraphEdge, "points">[] = [];
  const first = journey.steps[0];
  if (first) edges.push({ from: TRIGGER, to: `step:${first.id}`, way: "start" });
  let ends = false;
  journey.steps.forEach((step, index) => {
    const { named, fallsThrough } = linksOf(step, index);
    for (const link of named) {
      const branch = step.type === "split" ? step.branches[Number(link.path[3])] : undefined;
      edges.push({
        from: `step:${step.id}`,
        to: `step:${link.id}`,
        way: link.way,
        ...(branch ? { percent: branch.percent, ...(branch.name ? { name: branch.name } : {}) } : {}),
      });
    }
    const following = journey.steps[index + 1];
    if (fallsThrough && following)
      edges.push({ from: `step:${step.id}`, to: `step:${following.id}`, way: "next" });
    const endsHere =
      step.type === "exit" ||
      (step.type !== "branch" &&
        step.type !== "split" &&
        (step.next === null || (fallsThrough && !following)));
    if (endsHere) {
      edges.push({ from: `step:${step.id}`, to: END, way: "next" });
      ends = true;
    }
  });
  if (ends) g.setNode(END, { ...size(), height: 44 });
  // A draft may name a step that does not exist (the editor saves it with the problem): no edge there.
  edges.splice(0, edges.length, ...edges.filter((e) => g.hasNode(e.to)));
  edges.forEach((e, k) => {
    const labelled = e.way !== "next" && e.way !== "start";
    g.setEdge(e.from, e.to, labelled ? { width: 64, height: 20, labelpos: "c" } : {}, String(k));
  });
  dagre.layout(g);

  const nodes: GraphNode[] = g.nodes().map((id) => {
    const n = g.node(id);
    const step = id.startsWith("step:") ? journey.steps.find((s) => `step:${s.id}` === id) : undefined;
    return {
      id,
      kind: step ? step.type : id === TRIGGER ? "trigger" : "end",
      ...(step ? { stepId: step.id } : {}),
      x: n.x - n.width / 2,
      y: n.y - n.height / 2,
      width: n.width,
      height: n.height,
    };
  });
  const laid: GraphEdge[] = edges.map((e, k) => {
    const label = g.edge({ v: e.from, w: e.to, name: String(k) });
    return {
      ...e,
      points: ((label?.points ?? []) as { x: number; y: number }[]).map((p) => ({ x: p.x, y: p.y })),
      ...(label?.x !== undefined && label.y !== undefined && e.way !== "next" && e.way !== "start"
        ? { labelAt: { x: label.x, y: label.y } }
        : {}),
    };
  });
  const graph = g.graph();
  return { width: Math.ceil(graph.width ?? 0), height: Math.ceil(graph.height ?? 0), nodes, edges: laid };
}
