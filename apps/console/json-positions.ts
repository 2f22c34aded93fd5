/**
 * Where things are in a JSON text: the value a JSON pointer names (the browser's editor marks it) and
 * where a text stops being JSON (the server reports it; V8's messages do not always say).
 */
export type TextRange = { from: number; to: number };

type Node =
  | { kind: "object"; from: number; to: number; entries: { key: string; value: Node }[] }
  | { kind: "array"; from: number; to: number; items: Node[] }
  | { kind: "scalar"; from: number; to: number };

/**
 * The range of the value at `pointer` (RFC 6901) in `text`; when the pointer names something missing
 * (a required property), the first line of the deepest value that exists. Null when `text` is not JSON.
 */
export function pointerRange(text: string, pointer: string): TextRange | null {
  let root: Node;
  try {
    root = parse(text);
  } catch {
    return null;
  }
  const segments = pointer === "" ? [] : pointer.slice(1).split("/");
  let node = root;
  for (const raw of segments) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    const next =
      node.kind === "object"
        ? node.entries.find((e) => e.key === segment)?.value
        : node.kind === "array" && /^\d+$/.test(segment)
          ? node.items[Number(segment)]
          : undefined;
    if (!next) {
      const lineEnd = text.indexOf("\n", node.from);
      return { from: node.from, to: lineEnd === -1 || lineEnd > node.to ? node.to : lineEnd };
    }
    node = next;
  }
  return { from: node.from, to: node.to };
}

/** The offset where `text` stops being JSON; null when it is JSON. */
export function syntaxErrorAt(text: string): number | null {
  try {
    parse(text);
    return null;
  } catch (error) {
    return error instanceof NotJson ? error.at : text.length;
  }
}

class NotJson extends SyntaxError {
  constructor(readonly at: number) {
    super(`not JSON at ${at}`);
  }
}

/** A small JSON reader that keeps where each value starts and ends; throws on anything not JSON. */
function parse(text: string): Node {
  let i = 0;
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const fail = (at = i): never => {
    throw new NotJson(Math.min(at, text.length));
  };
  const string = (): string => {
    const from = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    try {
      return JSON.parse(text.slice(from, i)) as string;
    } catch {
      return fail(from);
    }
  };
  const value = (): Node => {
    space();
    const from = i;
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: { key: string; value: Node }[] = [];
      space();
      if (text[i] === "}") return { kind: "object", from, to: ++i, entries };
      while (i < text.length) {
        space();
        if (text[i] !== '"') fail();
        const key = string();
        space();
        if (text[i++] !== ":") fail();
        entries.push({ key, value: value() });
        space();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return { kind: "object", from, to: ++i, entries };
        else fail();
      }
      return fail();
    }
    if (c === "[") {
      i++;
      const items: Node[] = [];
      space();
      if (text[i] === "]") return { kind: "array", from, to: ++i, items };
      while (i < text.length) {
        items.push(value());
        space();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return { kind: "array", from, to: ++i, items };
        else fail();
      }
      return fail();
    }
    if (c === '"') {
      string();
      return { kind: "scalar", from, to: i };
    }
    while (i < text.length && !",]} \t\n\r".includes(text[i] as string)) i++;
    if (i === from) fail();
    if (!/^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)$/.test(text.slice(from, i))) fail(from);
    return { kind: "scalar", from, to: i };
  };
  const root = value();
  space();
  if (i !== text.length) fail();
  return root;
}
