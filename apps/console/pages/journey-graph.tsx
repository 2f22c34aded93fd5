import type { T } from "../i18n";
import type { JourneyGraph } from "../journey-graph";

/** What a step box says under its title: its counts, already in words. */
export type StepCounts = Record<string, string>;

const MAX_TITLE = 30;
const clip = (text: string) => (text.length > MAX_TITLE ? `${text.slice(0, MAX_TITLE - 1)}…` : text);

/**
 * The journey as an SVG drawing (laid out by layoutJourney): a box per step linking to its row in
 * the steps table, arrows with the way they go (yes/no, timeout, a split's share). The table below
 * the drawing says the same in text for screen readers and keyboards.
 */
export function JourneyGraphSvg({
  t,
  graph,
  titles,
  counts,
  trigger,
}: {
  t: T;
  graph: JourneyGraph;
  /** Each step's label, else its id, by step id. */
  titles: Record<string, string>;
  counts: Record<string, string>;
  trigger: string;
}) {
  const edgeLabel = (e: JourneyGraph["edges"][number]) =>
    e.way === "then"
      ? t("journey.then")
      : e.way === "else"
        ? t("journey.else")
        : e.way === "timeout"
          ? t("journey.timeout")
          : e.way === "branch"
            ? `${e.name ? `${e.name} ` : ""}${e.percent}%`
            : "";
  return (
    <figure class="graph-scroll">
      <figcaption class="visually-hidden">{t("journey.graphLabel")}</figcaption>
      <svg
        class="journey-graph"
        width={graph.width}
        height={graph.height}
        viewBox={`0 0 ${graph.width} ${graph.height}`}
        aria-labelledby="journey-graph-title"
      >
        <title id="journey-graph-title">{t("journey.graph")}</title>
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
          </marker>
        </defs>
        {graph.edges.map((e) => (
          <g class={`edge edge-${e.way}`}>
            <path
              d={e.points
                .map((p, i) => `${i === 0 ? "M" : "L"} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`)
                .join(" ")}
              marker-end="url(#arrow)"
            />
            {e.labelAt && (
              <g class="edge-label">
                <rect x={e.labelAt.x - 32} y={e.labelAt.y - 10} width="64" height="20" rx="4" />
                <text x={e.labelAt.x} y={e.labelAt.y + 4} text-anchor="middle">
                  {edgeLabel(e)}
                </text>
              </g>
            )}
          </g>
        ))}
        {graph.nodes.map((n) => {
          const kind = t(`journey.kind.${n.kind}`);
          const title = n.stepId ? (titles[n.stepId] ?? n.stepId) : n.kind === "trigger" ? trigger : "";
          const box = (
            <g class={`node node-${n.kind}`} data-step={n.stepId}>
              <title>{`${kind}: ${title}`}</title>
              <rect x={n.x} y={n.y} width={n.width} height={n.height} rx="8" />
              <text x={n.x + 12} y={n.y + 18} class="node-kind">
                {kind}
              </text>
              {title && (
                <text x={n.x + 12} y={n.y + 38} class="node-title">
                  {clip(title)}
                </text>
              )}
              {n.stepId && counts[n.stepId] && (
                <text x={n.x + 12} y={n.y + 60} class="node-counts">
                  {counts[n.stepId]}
                </text>
              )}
            </g>
          );
          return n.stepId ? <a href={`#step-${n.stepId}`}>{box}</a> : box;
        })}
      </svg>
    </figure>
  );
}
