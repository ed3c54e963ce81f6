/**
 * Turns the issues of the checks (_check.ts) into our problem lines. The field builders already
 * wrote each message; here unknown keys get what replaces them (a key of the original program,
 * _original_keys.ts) or a did-you-mean, and every problem gets its key path and line.
 *
 * @module
 */

import { type CheckIssue, List, Mapping, unwrapCheck } from "./_check.ts";
import type { ConfigProblem } from "./errors.ts";
import { didYouMean } from "./suggest.ts";
import { originalKeyAdvice } from "./_original_keys.ts";
import type { YamlSource } from "./_yaml.ts";

/** Problems for `issues`, located in `source`; `schema` supplies the keys allowed at a path. */
export function problemsFromIssues(
  issues: readonly CheckIssue[],
  schema: unknown,
  source: YamlSource,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.unknownKeys !== undefined) {
      const known = keysAt(schema, issue.path);
      for (const key of issue.unknownKeys) {
        const hint = didYouMean(key, known);
        const original = originalKeyAdvice(formatPath([...issue.path, key]));
        const message = original !== undefined
          ? `unknown key ${JSON.stringify(key)}: ${original}`
          : hint === "" && known.length > 0
          ? `unknown key ${JSON.stringify(key)}; allowed here: ${known.join(", ")}`
          : `unknown key ${JSON.stringify(key)}${hint}`;
        problems.push(problemAt([...issue.path, key], message, source));
      }
    } else {
      problems.push(problemAt(issue.path, issue.message, source));
    }
  }
  return problems;
}

/** A problem about the key at `path`, placed on that key's line when it is written. */
export function problemAt(
  path: readonly PropertyKey[],
  message: string,
  source: YamlSource,
): ConfigProblem {
  const position = source.locate(path);
  const dotted = formatPath(path);
  return position === undefined
    ? { path: dotted, message }
    : { path: dotted, line: position.line, message };
}

/** `clients[2].routes[0]`: keys joined by dots, list indexes (from 0) in brackets. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

/** The keys of the mapping that `schema` expects at `path` (empty when it expects none). */
function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  for (const segment of [...path, undefined]) {
    node = unwrapCheck(node);
    if (typeof segment === "number") {
      node = node instanceof List ? node.element : undefined;
      continue;
    }
    if (!(node instanceof Mapping)) return [];
    const shape: Readonly<Record<string, unknown>> = node.shape;
    if (segment === undefined) return Object.keys(shape);
    node = shape[String(segment)];
  }
  return [];
}
