// The query page's SPARQL editor: CodeMirror 6 with the SPARQL stream mode, completion of the
// project's prefixes (and of the terms under them, asked of this server), and error markers.
// The page (defenders_kg/web/index.html) works without this bundle; with it, the page calls
// window.sparqlEditor.attach() and talks to the editor through the object it returns.

import { autocompletion, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState, Prec } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";

// Colours with at least 4.5:1 contrast on white and on the active line's tint.
const theme = EditorView.theme({
  "&": { border: "1px solid #8a96a3", fontSize: "13px", backgroundColor: "#fff" },
  "&.cm-focused": { outline: "2px solid #0b57a3", outlineOffset: "1px" },
  ".cm-scroller": { fontFamily: "ui-monospace, monospace", lineHeight: "1.45", minHeight: "15rem" },
  ".cm-content": { minHeight: "15rem" },
  ".cm-gutters": { backgroundColor: "#f1f4f7", color: "#4a5561", borderRight: "1px solid #d5dbe1" },
  ".cm-activeLine": { backgroundColor: "#f5f8fb" },
  ".cm-activeLineGutter": { backgroundColor: "#e3e9ef" },
  ".tok-keyword": { color: "#7a1f7a", fontWeight: "600" },
  ".tok-variableName.tok-local": { color: "#00606b" },
  ".tok-atom": { color: "#0b4f94" },
  ".tok-string": { color: "#1f6b1f" },
  ".tok-number": { color: "#8a4b00" },
  ".tok-comment": { color: "#545f6b", fontStyle: "italic" },
  ".tok-meta": { color: "#8a4b00" },
  ".cm-tooltip-autocomplete li[aria-selected]": { backgroundColor: "#0b57a3", color: "#fff" },
  ".cm-completionDetail": { color: "inherit", opacity: "1", marginLeft: ".6em" },
});

// Where a term is a prefixed name: the prefix, and the local part typed so far.
const PREFIXED = /(?:^|[\s{}();,.[\]^/|!=<>*+-])([A-Za-z][\w.-]*)?(:[\w.~%-]*)?$/;

function declared(text, prefix) {
  return new RegExp(`^\\s*PREFIX\\s+${prefix}:`, "im").test(text);
}

// The change that adds "PREFIX name: <namespace>" after the query's last PREFIX or BASE line.
function prefixLine(state, prefix, namespace) {
  const text = state.doc.toString();
  if (declared(text, prefix)) return [];
  let at = 0;
  for (const match of text.matchAll(/^[ \t]*(?:PREFIX|BASE)\b[^\n]*\n?/gim)) {
    at = match.index + match[0].length;
  }
  const line = `PREFIX ${prefix}: <${namespace}>\n`;
  return [{ from: at, insert: at > 0 && text[at - 1] !== "\n" ? "\n" + line : line }];
}

function prefixOption(prefix, namespace) {
  return {
    label: prefix + ":",
    detail: namespace,
    type: "namespace",
    apply(view, completion, from, to) {
      const changes = [{ from, to, insert: completion.label }, ...prefixLine(view.state, prefix, namespace)];
      const inserted = changes.slice(1).reduce((n, c) => n + (c.from <= from ? c.insert.length : 0), 0);
      view.dispatch({ changes, selection: { anchor: from + inserted + completion.label.length } });
    },
  };
}

// The local names under one namespace that the graph uses as subjects or predicates, asked of
// this server once (at most 500, within any endpoint's row limit; no span fragments).
function termsUnder(namespace) {
  const literal = JSON.stringify(namespace);
  const query =
    "SELECT DISTINCT ?term WHERE { { ?term ?p ?o } UNION { ?s ?term ?o } " +
    `FILTER(isIRI(?term) && STRSTARTS(STR(?term), ${literal}) ` +
    `&& !CONTAINS(STRAFTER(STR(?term), ${literal}), "#")) } ORDER BY ?term LIMIT 500`;
  return fetch("sparql", {
    method: "POST",
    headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
    body: query,
  })
    .then((response) => (response.ok ? response.json() : { results: { bindings: [] } }))
    .then((data) => data.results.bindings.map((row) => row.term.value.slice(namespace.length)))
    .catch(() => []);
}

function completions(prefixes) {
  const terms = new Map();
  return async (context) => {
    const before = context.state.sliceDoc(Math.max(0, context.pos - 120), context.pos);
    const match = PREFIXED.exec(before);
    if (!match || (!match[1] && !match[2])) return null;
    const name = match[1] || "";
    const from = context.pos - name.length - (match[2] || "").length;
    const previous = context.state.sliceDoc(from - 1, from);
    if (previous === "?" || previous === "$" || previous === "@") return null;
    if (match[2] === undefined) {
      if (!context.explicit && name.length < 1) return null;
      const options = Object.entries(prefixes).map(([p, ns]) => prefixOption(p, ns));
      return { from, options, validFor: /^[A-Za-z][\w.-]*$/ };
    }
    const namespace = prefixes[name];
    if (namespace === undefined) return null;
    if (!terms.has(namespace)) terms.set(namespace, termsUnder(namespace));
    const locals = await terms.get(namespace);
    const start = from + name.length + 1;
    const options = locals.map((local) => ({
      label: local,
      type: "constant",
      apply(view, completion, at, to) {
        const changes = [{ from: at, to, insert: local }, ...prefixLine(view.state, name, namespace)];
        const shift = changes.slice(1).reduce((n, c) => n + c.insert.length, 0);
        view.dispatch({ changes, selection: { anchor: at + shift + local.length } });
      },
    }));
    return { from: start, options, validFor: /^[\w.~%-]*$/ };
  };
}

function attach(textarea, { prefixes, run, describedBy }) {
  const sync = EditorView.updateListener.of((update) => {
    if (update.docChanged) textarea.value = update.state.doc.toString();
  });
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (run(), true) }])),
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        history(),
        drawSelection(),
        bracketMatching(),
        StreamLanguage.define(sparql),
        syntaxHighlighting(classHighlighter),
        autocompletion({ override: [completions(prefixes)], icons: false }),
        lintGutter(),
        keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap]),
        EditorView.contentAttributes.of({
          "aria-label": "SPARQL query",
          "aria-describedby": describedBy,
          id: "query-editor",
        }),
        // The page's Content-Security-Policy admits CodeMirror's <style> element by this nonce.
        EditorView.cspNonce.of(document.querySelector('meta[name="style-nonce"]')?.content ?? ""),
        theme,
        sync,
      ],
    }),
  });
  textarea.parentNode.insertBefore(view.dom, textarea.nextSibling);
  textarea.hidden = true;
  return {
    get: () => view.state.doc.toString(),
    set(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      view.dispatch(setDiagnostics(view.state, []));
    },
    // A syntax error at line and column (1-based). Oxigraph's column is where parsing stopped,
    // often just past the offending word: at a space or the line's end, the word before it.
    markError(line, column, message) {
      const doc = view.state.doc;
      const row = doc.line(Math.min(Math.max(line, 1), doc.lines));
      const text = row.text;
      let start = Math.min(Math.max(column - 1, 0), text.length);
      let end = start;
      if (start === text.length || /\s/.test(text[start])) {
        while (end > 0 && /\s/.test(text[end - 1])) end -= 1;
        start = end;
        while (start > 0 && !/\s/.test(text[start - 1])) start -= 1;
      } else {
        end = start + /^\S*/.exec(text.slice(start))[0].length;
      }
      const diagnostic = { from: row.from + start, to: row.from + end, severity: "error", message };
      view.dispatch(setDiagnostics(view.state, [diagnostic]));
    },
    clearErrors: () => view.dispatch(setDiagnostics(view.state, [])),
    focus: () => view.focus(),
  };
}

window.sparqlEditor = { attach };
