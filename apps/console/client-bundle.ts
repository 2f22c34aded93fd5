import { build } from "esbuild";

/**
 * The console's browser code (apps/console/client/*.ts) bundled by esbuild into memory, once, the first
 * time a page asks for it: served from this app like htmx, so the CSP's script-src 'self' holds.
 */
export function clientBundle(entry: string): () => Promise<string> {
  let bundled: Promise<string> | undefined;
  return () => {
    bundled ??= build({
      entryPoints: [new URL(`./client/${entry}`, import.meta.url).pathname],
      bundle: true,
      write: false,
      format: "iife",
      minify: true,
      target: "es2020",
      legalComments: "none",
      logLevel: "silent",
    }).then((result) => {
      const file = result.outputFiles[0];
      if (!file) throw new Error(`esbuild produced nothing for ${entry}`);
      return file.text;
    });
    // A failed build is retried on the next request rather than cached.
    bundled.catch(() => {
      bundled = undefined;
    });
    return bundled;
  };
}
