// Draws every <canvas data-chart> with Chart.js (apps/console/chart.tsx writes the JSON), on load and
// after htmx swaps content in. No inline script: the CSP allows only files from this app.
(() => {
  const palette = ["#0b5cad", "#c2410c", "#14663a", "#7c3aed", "#a61b1b"];
  const drawn = new WeakSet();

  function draw(canvas) {
    if (drawn.has(canvas) || typeof Chart === "undefined") return;
    drawn.add(canvas);
    const spec = JSON.parse(canvas.dataset.chart);
    const spark = spec.kind === "sparkline";
    const tick = spec.percent ? (v) => `${Math.round(v * 100)}%` : undefined;
    const chart = new Chart(canvas, {
      type: spec.kind === "bar" ? "bar" : "line",
      data: {
        labels: spec.labels,
        datasets: spec.series.map((s, i) => ({
          label: s.label,
          data: s.data,
          borderColor: palette[i % palette.length],
          backgroundColor: spec.kind === "bar" ? palette[i % palette.length] : "transparent",
          borderWidth: spark ? 1.5 : 2,
          pointRadius: spark ? 0 : 3,
          spanGaps: true,
          tension: 0.25,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        events: spark ? [] : undefined,
        plugins: {
          legend: { display: !spark && spec.series.length > 1 },
          tooltip: { enabled: !spark },
        },
        scales: {
          x: { display: !spark },
          y: {
            display: !spark,
            ...(spec.range ? { min: spec.range[0], max: spec.range[1] } : {}),
            ticks: tick ? { callback: tick } : {},
          },
        },
      },
    });
    canvas.chart = chart;
    canvas.dataset.drawn = "true";
  }

  function drawAll(root) {
    for (const canvas of root.querySelectorAll("canvas[data-chart]")) draw(canvas);
  }

  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));
})();
