import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { getAbsoluteFSPath } from "swagger-ui-dist";
import { createRouter } from "../openapi";

const assets = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
} as const;

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>Volante API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
</head>
<body>
  <div id="docs"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#docs", deepLinking: true, persistAuthorization: true });
  </script>
</body>
</html>`;

/** API docs served from the installed swagger-ui-dist package: they work offline, no CDN. */
export function docsRouter() {
  const cache = new Map<string, Promise<Buffer>>();
  return createRouter()
    .get("/docs", (c) => c.html(page))
    .get("/docs/assets/:file", async (c) => {
      const file = c.req.param("file");
      if (!Object.hasOwn(assets, file)) return c.notFound();
      let body = cache.get(file);
      if (!body) {
        body = readFile(join(getAbsoluteFSPath(), file));
        cache.set(file, body);
      }
      return c.body(new Uint8Array(await body), 200, {
        "content-type": assets[file as keyof typeof assets],
        "cache-control": "public, max-age=86400",
      });
    });
}
