// A render thread of the sandbox (render.ts starts a pool of them with Piscina). Plain JavaScript, so
// the thread starts the same under tsx (`npm start`), vitest and the Temporal worker; it loads the
// TypeScript engine through tsx's API, which transforms only what this import reaches.
import { workerData } from "piscina";
import { tsImport } from "tsx/esm/api";

const { createEngine } = await tsImport("./render-engine.ts", import.meta.url);
const engine = createEngine(workerData.partials);

/** One render: `started` tells the pool the render began, so its time limit counts the render alone. */
export default function render({ job, started }) {
  started.postMessage("started");
  started.close();
  return engine.run(job);
}
