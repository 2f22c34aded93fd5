/// <reference lib="dom" />
import { json } from "@codemirror/lang-json";
import { type Diagnostic, linter, lintGutter } from "@codemirror/lint";
import type { EditorState } from "@codemirror/state";
import { basicSetup, EditorView } from "codemirror";
import { pointerRange } from "../json-positions";

/**
 * The journey editor's browser side: the page's textarea becomes CodeMirror (JSON, line numbers,
 * bracket matching, lint gutter), the textarea keeps the text so the form still posts, and the text is
 * checked on the server as it is typed: each problem marked at its JSON pointer and listed below.
 */

type Problem = { pointer: string; message: string; at?: number };

/** The console's look inside the shadow root, where console.css does not reach. */
const theme = EditorView.theme({
  "&": {
    height: "min(32rem, 70vh)",
    border: "1px solid #9aa5b1",
    borderRadius: "0.3rem",
    fontSize: "0.85rem",
    background: "#fff",
  },
  "&.cm-focused": { outline: "3px solid #f0b429", outlineOffset: "2px" },
  ".cm-scroller": { fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace' },
  // CodeMirror's default gutter grey is too faint to read (axe color-contrast).
  ".cm-gutters": { color: "#52606d", background: "#f5f7fa" },
  ".cm-activeLineGutter": { color: "#1f2933", background: "#e4e7eb" },
});

/** How long typing pauses before the text is checked. */
const CHECK_DELAY_MS = 400;

function start() {
  const form = document.querySelector<HTMLFormElement>("form.journey-editor");
  const textarea = form?.querySelector<HTMLTextAreaElement>("textarea[name=definition]");
  const list = document.querySelector<HTMLUListElement>("#problems");
  const label = form?.querySelector<HTMLLabelElement>("label[for=definition]");
  const validateUrl = form?.dataset.validate;
  if (!form || !textarea || !list || !label || !validateUrl) return;

  // CodeMirror's styles go through style-mod, which writes a <style> element into a document (refused
  // by the CSP's style-src 'self') but adopts a constructed stylesheet into a shadow root, which CSP
  // allows. So the editor lives in a shadow root of its own, styled by the theme below.
  const host = document.createElement("div");
  host.className = "code-editor-host";
  const shadow = host.attachShadow({ mode: "open" });
  const view = new EditorView({
    doc: textarea.value,
    parent: shadow,
    root: shadow,
    extensions: [
      basicSetup,
      theme,
      json(),
      lintGutter(),
      linter((v) => check(v.state), { delay: CHECK_DELAY_MS }),
      EditorView.contentAttributes.of({
        "aria-label": label.textContent ?? "",
        // Explicit, so checkers see the scrolling region holds a focusable control (it already is one).
        tabindex: "0",
        "aria-describedby": "definition-hint problems-heading",
      }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) textarea.value = update.state.doc.toString();
      }),
    ],
  });
  textarea.after(host);
  textarea.hidden = true;
  // The label now names the editor: clicking it focuses the text, as it did the textarea.
  label.addEventListener("click", () => view.focus());

  async function check(state: EditorState): Promise<Diagnostic[]> {
    const text = state.doc.toString();
    let problems: Problem[];
    try {
      const response = await fetch(validateUrl as string, {
        method: "POST",
        body: new URLSearchParams({ definition: text }),
        credentials: "same-origin",
      });
      if (!response.ok) return [];
      problems = ((await response.json()) as { problems: Problem[] }).problems;
    } catch {
      // Offline or signed out: the server says what is wrong when the form is saved.
      return [];
    }
    const located = problems.map((problem) => ({ problem, range: locate(text, problem) }));
    show(located);
    return located.map(({ problem, range }) => ({
      from: range.from,
      to: range.to,
      severity: "error",
      message: problem.pointer ? `${problem.pointer}: ${problem.message}` : problem.message,
    }));
  }

  function locate(text: string, problem: Problem) {
    if (problem.at !== undefined) {
      const from = Math.min(problem.at, text.length);
      return { from, to: Math.min(from + 1, text.length) };
    }
    return pointerRange(text, problem.pointer) ?? { from: 0, to: Math.min(1, text.length) };
  }

  /** The problems under the editor, each a button that moves the cursor to its place. */
  function show(located: { problem: Problem; range: { from: number; to: number } }[]) {
    const items = located.map(({ problem, range }) => {
      const item = document.createElement("li");
      const go = document.createElement("button");
      go.type = "button";
      go.className = "link";
      go.setAttribute("aria-label", `${list?.dataset.goTo ?? ""} ${problem.pointer}`);
      const code = document.createElement("code");
      code.textContent = problem.pointer || (list?.dataset.document ?? "");
      go.append(code);
      go.addEventListener("click", () => {
        view.dispatch({ selection: { anchor: range.from, head: range.to }, scrollIntoView: true });
        view.focus();
      });
      item.append(go, ` ${problem.message}`);
      return item;
    });
    if (items.length === 0) {
      const none = document.createElement("li");
      none.className = "none";
      none.textContent = list?.dataset.none ?? "";
      items.push(none);
    }
    list?.replaceChildren(...items);
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
