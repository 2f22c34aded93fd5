/**
 * A chart drawn by Chart.js (served from node_modules at /app/static/) from the JSON in the canvas's
 * `data-chart`: no inline script under the CSP. The canvas is an image with a text alternative; the
 * numbers are also in a table for people who cannot see it (`table`), or the label says them all.
 */
export type ChartSpec = {
  kind: "line" | "bar" | "sparkline";
  labels: string[];
  series: { label: string; data: (number | null)[] }[];
  /** Fixed value axis, e.g. [0, 100] for health scores. */
  range?: [number, number];
  /** Show the values as percentages. */
  percent?: boolean;
};

export function Chart({
  spec,
  label,
  table,
  id,
}: {
  spec: ChartSpec;
  /** What the chart shows, read by screen readers. */
  label: string;
  /** A caption for the table of the same numbers (omit for sparklines). */
  table?: string;
  id?: string;
}) {
  const canvas = (
    <canvas
      {...(id ? { id } : {})}
      role="img"
      aria-label={label}
      class={`chart chart-${spec.kind}`}
      data-chart={JSON.stringify(spec)}
    />
  );
  if (spec.kind === "sparkline" || !table) return <span class="chart-box">{canvas}</span>;
  return (
    <figure class="chart-figure">
      <div class="chart-box">{canvas}</div>
      <details>
        <summary>{table}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col" />
              {spec.series.map((s) => (
                <th scope="col">{s.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {spec.labels.map((l, i) => (
              <tr>
                <th scope="row">{l}</th>
                {spec.series.map((s) => (
                  <td>{format(s.data[i], spec.percent)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function format(value: number | null | undefined, percent?: boolean): string {
  if (value === null || value === undefined) return "–";
  return percent ? `${(value * 100).toFixed(1)}%` : String(value);
}
