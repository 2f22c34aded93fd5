import { Parser } from "htmlparser2";

/** Attributes a mail client or browser follows or loads as a URL. */
const urlAttributes = new Set([
  "href",
  "src",
  "action",
  "formaction",
  "xlink:href",
  "poster",
  "background",
  "cite",
]);

/** Schemes that run script or carry a document of their own instead of pointing somewhere. */
const refusedSchemes = new Set(["javascript:", "vbscript:", "data:"]);

/**
 * The link targets in `html` that would run script (`javascript:`, `vbscript:`) or smuggle a document
 * (`data:`), as `href="javascript:…"`. An HTML tokenizer (htmlparser2) reads the attributes as a
 * browser does, character references decoded (`java&#x09;script&colon;`), and the WHATWG URL parser
 * finds the scheme after stripping the spaces, tabs and newlines browsers ignore.
 */
export function unsafeLinks(html: string): string[] {
  const found = new Set<string>();
  const parser = new Parser(
    {
      onattribute(name, value) {
        if (!urlAttributes.has(name)) return;
        const scheme = schemeOf(value);
        if (scheme && refusedSchemes.has(scheme)) found.add(`${name}="${scheme}…"`);
      },
    },
    { decodeEntities: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  return [...found];
}

function schemeOf(value: string): string | undefined {
  try {
    return new URL(value, "https://volante.invalid/").protocol.toLowerCase();
  } catch {
    return undefined;
  }
}
