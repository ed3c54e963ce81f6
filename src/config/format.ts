/**
 * Writes a configuration back as YAML, for `sssonector --check-config`.
 *
 * @module
 */

import { Document } from "yaml";
import { formatAddress } from "../ip/address.ts";
import { formatPrefix, type IpPrefix } from "../ip/prefix.ts";
import { formatEndpoint } from "./endpoint.ts";
import type { Config, RegisteredClient } from "./types.ts";

/**
 * The configuration as YAML with the key names of the file (`min_version`, `cert_file`...),
 * every default written out and paths absolute. Parsing the result gives an equal `Config`.
 */
export function formatEffectiveConfig(config: Config): string {
  const v4 = formatPrefix(config.address);
  const address = config.address6 === undefined ? v4 : [v4, formatPrefix(config.address6)];
  const modeKeys = config.mode === "server"
    ? {
      mode: config.mode,
      listen: formatEndpoint(config.listen),
      interface: config.interface,
      address,
      max_clients: config.maxClients,
      proxy_protocol: config.proxyProtocol,
      client_to_client: config.clientToClient,
      pool: config.pool,
      push_routes: config.pushRoutes.map(formatPrefix),
      reachable: config.reachable.map(formatPrefix),
      ...(config.registry === undefined ? {} : {
        clients: config.registry.clients.map(clientEntry),
        unlisted: config.registry.unlisted,
      }),
    }
    : {
      mode: config.mode,
      server: config.servers.length === 1
        ? formatEndpoint(config.server)
        : config.servers.map(formatEndpoint),
      server_order: config.serverOrder,
      failback: config.failback,
      interface: config.interface,
      address,
      routes: config.routes.map(formatPrefix),
      accept_routes: config.acceptRoutes,
      ...(config.proxy === undefined ? {} : {
        proxy: {
          url: config.proxy.url,
          ...(config.proxy.credentialsFile === undefined
            ? {}
            : { credentials_file: config.proxy.credentialsFile }),
          no_proxy: config.proxy.noProxy,
        },
      }),
    };
  const sections = {
    ...(config.pidFile === undefined ? {} : { pid_file: config.pidFile }),
    network: config.network,
    logging: { ...config.logging, file: config.logging.file ?? "stdout" },
    monitoring: config.monitoring,
    security: config.security,
  };
  const doc = new Document({ ...modeKeys, ...toFileShape(sections) as object });
  doc.commentBefore = ` Effective configuration of ${config.sourcePath}, defaults filled in`;
  return doc.toString({ lineWidth: 0 });
}

/** One `clients:` entry as the file writes it: a single address as a string, else a list. */
function clientEntry(client: RegisteredClient): Record<string, unknown> {
  const addresses = client.addresses.map((address: IpPrefix) => formatAddress(address.bytes));
  return {
    name: client.name,
    allow: client.allow,
    ...(addresses.length === 0
      ? {}
      : { address: addresses.length === 1 ? addresses[0] : addresses }),
    routes: client.routes.map(formatPrefix),
  };
}

/** Plain sections with their keys in the file's snake_case. */
function toFileShape(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .map(([name, field]) => [snakeCase(name), toFileShape(field)]),
  );
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
