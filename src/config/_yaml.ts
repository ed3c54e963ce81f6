/**
 * Reads YAML text into plain data while keeping the document, so that problems found later can
 * be placed on the line of the key they are about.
 *
 * @module
 */

import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Pair } from "yaml";
import type { ConfigProblem } from "./errors.ts";

/** A line and column, both 1-based. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** YAML text that parsed without syntax errors. */
export interface YamlSource {
  /** The document as plain JavaScript data (`null` for an empty file). */
  readonly data: unknown;
  /**
   * Where the key at `path` is written (a number in `path` is an index into a list: its entry's
   * position). When the key is absent, the position of the nearest enclosing key or entry that is
   * written; undefined when not even the top-level key is.
   */
  locate(path: readonly PropertyKey[]): Position | undefined;
}

/** Parses `text`; returns the syntax errors (with line and column) instead when there are any. */
export function readYaml(text: string): YamlSource | { readonly problems: ConfigProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const position = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error): ConfigProblem => {
      const at = position(error.pos[0]);
      return {
        path: "",
        line: at.line,
        column: at.column,
        message: `YAML syntax error: ${error.message}${syntaxHint(text, at.line)}`,
      };
    });
    return { problems };
  }
  let data: unknown;
  try {
    // Aliases are expanded here: an unknown one, or a "billion laughs" of them, is refused.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = /Excessive alias count/.test(reason)
      ? "YAML error: more than 100 aliases expand to too much; a configuration needs none"
      : `YAML error: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
    return { problems: [{ path: "", line: 1, message }] };
  }
  return { data, locate: (path) => locateKey(doc, path, position) };
}

/** Endpoints such as `[::]:443` start a YAML list unless quoted; say so next to the error. */
function syntaxHint(text: string, line: number): string {
  const source = text.split(/\r?\n/)[line - 1] ?? "";
  return /^\s*[^\s:#]+:\s+\[/.test(source)
    ? ` (a value starting with "[" must be quoted, e.g. "[::]:443")`
    : "";
}

function locateKey(
  doc: Document,
  path: readonly PropertyKey[],
  position: (offset: number) => Position,
): Position | undefined {
  let node: unknown = doc.contents;
  let found: Position | undefined;
  for (const segment of path) {
    if (isSeq(node) && typeof segment === "number") {
      const item: unknown = node.items[segment];
      const range = typeof item === "object" && item !== null && "range" in item
        ? (item.range as [number, number, number] | null | undefined)
        : undefined;
      if (item === undefined) break;
      if (range) found = position(range[0]);
      node = item;
      continue;
    }
    if (!isMap(node)) break;
    const pair = node.items.find((item: Pair) =>
      isScalar(item.key) && String(item.key.value) === String(segment)
    );
    if (pair === undefined) break;
    const range = isScalar(pair.key) ? pair.key.range : undefined;
    if (range) found = position(range[0]);
    node = pair.value;
  }
  return found;
}
