/**
 * From YAML text to a validated, defaulted, frozen {@linkcode Config}.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { fileSchema } from "./_schema.ts";
import type { FileValues } from "./_schema.ts";
import { problemAt, problemsFromIssues } from "./_issues.ts";
import { readYaml } from "./_yaml.ts";
import type { YamlSource } from "./_yaml.ts";
import { describeValue } from "./_fields.ts";
import { ConfigError } from "./errors.ts";
import type { ConfigProblem } from "./errors.ts";
import type { ClientConfig, Config, ServerConfig } from "./types.ts";

/**
 * Parses and validates the text of a configuration file. Relative paths in it resolve against
 * the folder of `sourcePath`. No I/O: files named in the configuration are not checked here
 * (`loadConfig()` does that).
 *
 * @param text The YAML text.
 * @param sourcePath The file the text came from, as it should appear in messages.
 * @returns The configuration with every default filled in, deeply frozen.
 * @throws {ConfigError} listing every problem found, each with its key path and line.
 */
export function parseConfig(text: string, sourcePath: string): Config {
  return parseSource(text, sourcePath).config;
}

/** A parsed configuration with the YAML it came from, to place later problems on lines. */
export interface ParsedSource {
  readonly config: Config;
  readonly source: YamlSource;
}

/** {@linkcode parseConfig}, also returning the YAML source for locating keys. */
export function parseSource(text: string, sourcePath: string): ParsedSource {
  const yaml = readYaml(text);
  if ("problems" in yaml) throw new ConfigError(sourcePath, yaml.problems);
  const data = yaml.data;
  const expected = "expected a mapping with keys such as mode, address and security";
  if (data === null || data === undefined) {
    throw new ConfigError(sourcePath, [{ path: "", message: `the file is empty; ${expected}` }]);
  }
  if (typeof data !== "object" || Array.isArray(data)) {
    const message = `the file holds ${describeValue(data)}; ${expected}`;
    throw new ConfigError(sourcePath, [{ path: "", line: 1, message }]);
  }

  const absolutePath = resolve(sourcePath);
  const schema = fileSchema(dirname(absolutePath));
  const fields = data as Record<string, unknown>;
  const modeProblems = checkModeKeys(fields, yaml);
  const misplaced = new Set(modeProblems.map((problem) => problem.path));
  const result = schema.safeParse(data);
  const issues = result.success
    ? []
    : result.error.issues.filter((issue) => !misplaced.has(String(issue.path[0])));
  const problems = [...modeProblems, ...problemsFromIssues(issues, schema, yaml)];
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(sourcePath, sortByLine(firstPerPath(problems)));
  }
  return { config: deepFreeze(toConfig(result.data, absolutePath)), source: yaml };
}

/** `listen` belongs to servers and `server` to clients: exactly the right one must be there. */
function checkModeKeys(fields: Record<string, unknown>, source: YamlSource): ConfigProblem[] {
  const mode = fields.mode;
  if (mode !== "server" && mode !== "client") return [];
  const [own, other] = mode === "server" ? ["listen", "server"] : ["server", "listen"];
  const problems: ConfigProblem[] = [];
  if (!Object.hasOwn(fields, own)) {
    problems.push(problemAt(
      [own],
      mode === "server"
        ? "missing; a server needs the address to accept clients on, e.g. listen: 0.0.0.0:443"
        : "missing; a client needs the server to connect to, e.g. server: 192.0.2.1:443",
      source,
    ));
  }
  if (Object.hasOwn(fields, other)) {
    problems.push(problemAt(
      [other],
      mode === "server"
        ? `not allowed in server mode: "server" names the server a client connects to; a server uses listen: HOST:PORT`
        : `not allowed in client mode: "listen" is where a server accepts clients; a client uses server: HOST:PORT`,
      source,
    ));
  }
  return problems;
}

function firstPerPath(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    if (seen.has(problem.path)) return false;
    seen.add(problem.path);
    return true;
  });
}

export function sortByLine(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return problems.toSorted((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** `T` with snake_case keys renamed to camelCase, and no explicitly undefined properties. */
type CamelKeys<T> = T extends readonly unknown[] ? T
  : T extends object ? {
      [K in keyof T as K extends string ? CamelCase<K> : K]: CamelKeys<Exclude<T[K], undefined>>;
    }
  : T;

function camelKeys<T>(value: T): CamelKeys<T> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return value as CamelKeys<T>;
  }
  const entries = Object.entries(value)
    .filter(([, field]) => field !== undefined)
    .map((
      [key, field],
    ) => [key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), camelKeys(field)]);
  return Object.fromEntries(entries) as CamelKeys<T>;
}

function toConfig(values: FileValues, sourcePath: string): Config {
  const { mode, listen, server, ...fields } = values;
  const common: Omit<
    ServerConfig,
    "mode" | "listen" | "sourcePath" | "pushRoutes" | "clientToClient" | "maxClients"
  > = camelKeys(fields);
  if (mode === "server" && listen !== undefined) {
    const config: ServerConfig = {
      mode,
      listen,
      ...common,
      pushRoutes: [],
      clientToClient: false,
      maxClients: 1000,
      sourcePath,
    };
    return config;
  }
  if (mode === "client" && server !== undefined) {
    const config: ClientConfig = {
      mode,
      server,
      servers: [server],
      serverOrder: "ordered",
      routes: [],
      acceptRoutes: true,
      ...common,
      sourcePath,
    };
    return config;
  }
  throw new Error(`Unreachable: mode ${mode} without its endpoint passed validation`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const field of Object.values(value)) deepFreeze(field);
    Object.freeze(value);
  }
  return value;
}
