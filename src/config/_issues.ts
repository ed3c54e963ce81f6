/**
 * Turns zod issues into our problem lines. The field builders already wrote each message;
 * here unknown keys get what replaces them (a key of the original program, _original_keys.ts)
 * or a did-you-mean, and every problem gets its key path and line.
 *
 * @module
 */

import type { z } from "zod";
import type { ConfigProblem } from "./errors.ts";
import { didYouMean } from "./suggest.ts";
import { originalKeyAdvice } from "./_original_keys.ts";
import type { YamlSource } from "./_yaml.ts";

/** Problems for `issues`, located in `source`; `schema` supplies the keys allowed at a path. */
export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  source: YamlSource,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = keysAt(schema, issue.path);
      for (const key of issue.keys) {
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
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  for (const segment of [...path, undefined]) {
    node = unwrap(node);
    if (typeof segment === "number") {
      node = elementOf(node);
      continue;
    }
    const shape = shapeOf(node);
    if (shape === undefined) return [];
    if (segment === undefined) return Object.keys(shape);
    node = shape[String(segment)];
  }
  return [];
}

interface Definition {
  readonly type?: string;
  readonly innerType?: unknown;
  readonly in?: unknown;
  readonly out?: unknown;
  readonly shape?: Record<string, unknown>;
  readonly element?: unknown;
}

function definitionOf(node: unknown): Definition | undefined {
  if (typeof node !== "object" || node === null || !("_zod" in node)) return undefined;
  const internals = node._zod;
  if (typeof internals !== "object" || internals === null || !("def" in internals)) {
    return undefined;
  }
  return internals.def as Definition;
}

/** Looks through defaults, optionals and pipes to the schema that does the checking. */
function unwrap(node: unknown): unknown {
  for (let depth = 0; depth < 16; depth++) {
    const definition = definitionOf(node);
    if (definition === undefined) return node;
    if (definition.innerType !== undefined) node = definition.innerType;
    else if (definition.type === "pipe") {
      const out = unwrap(definition.out);
      node = shapeOf(out) || elementOf(out) ? definition.out : definition.in;
    } else return node;
  }
  return node;
}

function elementOf(node: unknown): unknown {
  const definition = definitionOf(node);
  return definition?.type === "array" ? definition.element : undefined;
}

function shapeOf(node: unknown): Record<string, unknown> | undefined {
  const definition = definitionOf(node);
  return definition?.type === "object" ? definition.shape : undefined;
}
