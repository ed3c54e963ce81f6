/**
 * From YAML text to a validated, defaulted, frozen {@linkcode Config}.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import type { CheckIssue } from "./_check.ts";
import { fileSchema } from "./_schema.ts";
import type { FileSchema, FileValues } from "./_schema.ts";
import { problemAt, problemsFromIssues } from "./_issues.ts";
import { checkNetworks, NETWORK_KEYS } from "./_network_checks.ts";
import type { NetworkValues } from "./_network_checks.ts";
import { readYaml } from "./_yaml.ts";
import type { YamlSource } from "./_yaml.ts";
import { describeValue } from "./_fields.ts";
import { ConfigError } from "./errors.ts";
import type { ConfigProblem } from "./errors.ts";
import type { ClientConfig, ClientRegistryConfig, Config, ServerConfig } from "./types.ts";

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
  const result = schema.parse(data);
  const issues = result.ok
    ? []
    : result.issues.filter((issue) => !misplaced.has(String(issue.path[0])));
  const problems = [...modeProblems, ...problemsFromIssues(issues, schema, yaml)];
  const values = result.ok ? result.value : acceptedNetworkValues(schema, fields, result.issues);
  if (values !== undefined) problems.push(...checkNetworks(values, fields, yaml));
  const tls = result.ok ? result.value.security.tls : undefined;
  if (tls?.crl_urls !== undefined && tls.crl_file === undefined) {
    problems.push(problemAt(
      ["security", "tls", "crl_urls"],
      "needs crl_file: the fetched CRL is kept there (in a folder the run user can write)",
      yaml,
    ));
  }
  if (problems.length > 0 || !result.ok) {
    throw new ConfigError(sourcePath, sortByLine(firstPerPath(problems)));
  }
  return { config: deepFreeze(toConfig(result.value, absolutePath)), source: yaml };
}

/**
 * When the file as a whole was refused: the keys the network checks read that are fine on their
 * own, so that their problems are reported in the same run. Undefined without a valid mode.
 */
function acceptedNetworkValues(
  schema: FileSchema,
  fields: Record<string, unknown>,
  issues: readonly CheckIssue[],
): NetworkValues | undefined {
  const mode = fields.mode;
  if (mode !== "server" && mode !== "client") return undefined;
  const refused = new Set(issues.map((issue) => issue.path[0]));
  const values: Record<string, unknown> = { mode };
  for (const key of NETWORK_KEYS) {
    if (refused.has(key)) continue;
    const parsed = schema.shape[key].parse(fields[key]);
    if (parsed.ok) values[key] = parsed.value;
  }
  return values as NetworkValues;
}

/**
 * The keys of one mode only, with what they do, for the line that refuses them in the other
 * mode's file; `fix` says what to do instead (default: remove the key).
 */
const MODE_KEYS: Readonly<
  Record<
    string,
    { readonly mode: "server" | "client"; readonly what: string; readonly fix?: string }
  >
> = {
  listen: {
    mode: "server",
    what: "the address a server accepts clients on",
    fix: "a client uses server: HOST:PORT",
  },
  clients: { mode: "server", what: "the clients a server accepts, by certificate name" },
  unlisted: {
    mode: "server",
    what: "whether a server accepts certificates missing from its clients: list",
  },
  push_routes: {
    mode: "server",
    what: "the networks a server announces to its clients",
    fix: "a client lists the networks it reaches in routes:",
  },
  reachable: {
    mode: "server",
    what: "what a server's clients may reach besides its tunnel addresses and push_routes",
  },
  client_to_client: {
    mode: "server",
    what: "whether a server forwards packets between its clients",
  },
  max_clients: { mode: "server", what: "how many sessions a server holds at once" },
  pool: {
    mode: "server",
    what: "whether a server announces its clients' routes with freshness metrics, one of a pool",
    fix: "a client lists the servers of a pool in server:",
  },
  proxy_protocol: {
    mode: "server",
    what: "whether a server behind a TLS passthrough front reads a PROXY protocol header",
  },
  server: {
    mode: "client",
    what: "the server a client connects to",
    fix: "a server uses listen: HOST:PORT",
  },
  server_order: { mode: "client", what: "how a client picks among its servers" },
  failback: {
    mode: "client",
    what: "after how many seconds a client returns to a server earlier in its list",
  },
  routes: {
    mode: "client",
    what: "the networks a client reaches through the tunnel",
    fix: "on a server, networks behind a client go in its clients: entry (routes:), " +
      "networks for every client in push_routes:",
  },
  accept_routes: {
    mode: "client",
    what: "whether a client installs the routes its server announces",
  },
  proxy: { mode: "client", what: "the HTTP proxy a client reaches its server through" },
};

/**
 * `listen` belongs to servers and `server` to clients: exactly the right one must be there.
 * Every other key of one mode is refused in the other mode's file, saying what it is for.
 */
function checkModeKeys(fields: Record<string, unknown>, source: YamlSource): ConfigProblem[] {
  const mode = fields.mode;
  if (mode !== "server" && mode !== "client") return [];
  const own = mode === "server" ? "listen" : "server";
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
  for (const [key, { mode: keyMode, what, fix }] of Object.entries(MODE_KEYS)) {
    if (keyMode === mode || !Object.hasOwn(fields, key)) continue;
    problems.push(problemAt(
      [key],
      `not allowed in ${mode} mode: "${key}" is a ${keyMode} key (${what}); ${
        fix ?? "remove it from this file"
      }`,
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
  const {
    mode,
    listen,
    server,
    address,
    clients,
    unlisted,
    push_routes: pushRoutes,
    reachable,
    client_to_client: clientToClient,
    max_clients: maxClients,
    pool,
    proxy_protocol: proxyProtocol,
    server_order: serverOrder,
    failback,
    routes,
    accept_routes: acceptRoutes,
    proxy,
    ...fields
  } = values;
  const common: Omit<
    ServerConfig,
    | "mode"
    | "listen"
    | "pushRoutes"
    | "reachable"
    | "clientToClient"
    | "maxClients"
    | "pool"
    | "proxyProtocol"
  > = {
    ...camelKeys(fields),
    address: address.v4,
    ...(address.v6 === undefined ? {} : { address6: address.v6 }),
    sourcePath,
  };
  if (mode === "server" && listen !== undefined) {
    const registry: ClientRegistryConfig | undefined = clients === undefined ? undefined : {
      clients: clients.map(({ name, allow, address, routes }) => ({
        name,
        allow,
        addresses: address,
        routes,
      })),
      unlisted: unlisted ?? "refuse",
    };
    const config: ServerConfig = {
      mode,
      listen,
      ...common,
      ...(registry === undefined ? {} : { registry }),
      pushRoutes,
      reachable,
      clientToClient,
      maxClients,
      pool,
      proxyProtocol,
    };
    return config;
  }
  const first = server?.[0];
  if (mode === "client" && server !== undefined && first !== undefined) {
    const config: ClientConfig = {
      mode,
      server: first,
      servers: server,
      serverOrder,
      failback,
      ...common,
      routes,
      acceptRoutes,
      ...(proxy?.url === undefined ? {} : {
        proxy: {
          url: proxy.url,
          ...(proxy.credentials_file === undefined
            ? {}
            : { credentialsFile: proxy.credentials_file }),
          noProxy: proxy.no_proxy,
        },
      }),
    };
    return config;
  }
  throw new Error(`Unreachable: mode ${mode} without its endpoint passed validation`);
}

/** Freezes `value` and everything in it; byte arrays (IpPrefix.bytes) cannot be frozen. */
function deepFreeze<T>(value: T): T {
  if (
    typeof value === "object" && value !== null && !ArrayBuffer.isView(value) &&
    !Object.isFrozen(value)
  ) {
    for (const field of Object.values(value)) deepFreeze(field);
    Object.freeze(value);
  }
  return value;
}
