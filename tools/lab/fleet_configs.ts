/**
 * The YAML files of the many-client lab, as pure text builders: one server on the bridge, and a
 * client per slot with its own certificate and tunnel address (tools/lab/fleet_plan.ts).
 *
 * @module
 */

import { LAB_INTERFACE } from "./lab_configs.ts";
import { FLEET_SERVER_TUNNEL, FLEET_SERVER_UNDERLAY } from "./fleet_plan.ts";

/** The port the lab's server listens on. */
export const FLEET_PORT = 443;
/** The port of the server's monitoring endpoint, on 127.0.0.1 in its namespace. */
export const FLEET_MONITOR_PORT = 9090;

/** A YAML scalar value the lab writes as it is. */
export type YamlScalar = string | number | boolean;

/** What the server's file says beyond the lab's fixed parts. */
export interface FleetServerYaml {
  /** Folder of ca.crt, server.crt and server.key. */
  readonly certDir: string;
  readonly logFile: string;
  /** Tunnel prefix length (16 or 24). */
  readonly tunnelPrefix: number;
  /** @default "info" */
  readonly level?: string;
  /** Serve /metrics and /status.json on 127.0.0.1:FLEET_MONITOR_PORT. @default false */
  readonly monitoring?: boolean;
  /** Extra keys of `network:`, e.g. `{ keepalive_interval: 2 }`. */
  readonly network?: Readonly<Record<string, YamlScalar>>;
  /** Extra keys of `security:`, e.g. `{ max_pending_per_source: 1024 }`. */
  readonly security?: Readonly<Record<string, YamlScalar>>;
  /** `host:port` to listen on. @default FLEET_SERVER_UNDERLAY:FLEET_PORT */
  readonly listen?: string;
  /** Tunnel address without prefix. @default FLEET_SERVER_TUNNEL */
  readonly tunnelIp?: string;
  /** TUN device. @default LAB_INTERFACE */
  readonly interface?: string;
  /** One server of a pool (`pool: true`: host routes per client). @default false */
  readonly pool?: boolean;
}

/** What one client's file says. */
export interface FleetClientYaml {
  readonly certDir: string;
  /** Certificate stem in certDir (the slot's name). */
  readonly name: string;
  /** Tunnel address without prefix. */
  readonly tunnelIp: string;
  readonly tunnelPrefix: number;
  readonly logFile: string;
  /** @default "info" */
  readonly level?: string;
  /** Extra keys of `network:`. */
  readonly network?: Readonly<Record<string, YamlScalar>>;
  /** `server:` as a list of `host:port`, in order of preference. @default the lab's one server */
  readonly servers?: readonly string[];
}

function keys(entries: Readonly<Record<string, YamlScalar>> | undefined): string {
  return Object.entries(entries ?? {}).map(([key, value]) => `  ${key}: ${value}\n`).join("");
}

function tls(certDir: string, stem: string): string {
  return `  tls:
    enabled: true
    min_version: "1.2"
    cert_file: ${certDir}/${stem}.crt
    key_file: ${certDir}/${stem}.key
    ca_file: ${certDir}/ca.crt
`;
}

/** The server's configuration file. */
export function fleetServerYaml(options: FleetServerYaml): string {
  const monitoring = options.monitoring
    ? `monitoring:\n  enabled: true\n  address: 127.0.0.1\n  port: ${FLEET_MONITOR_PORT}\n`
    : "";
  return `mode: server
listen: ${options.listen ?? `${FLEET_SERVER_UNDERLAY}:${FLEET_PORT}`}
address: ${options.tunnelIp ?? FLEET_SERVER_TUNNEL}/${options.tunnelPrefix}
interface: ${options.interface ?? LAB_INTERFACE}
${options.pool ? "pool: true\n" : ""}network:
  mtu: 1500
${keys(options.network)}logging:
  level: ${options.level ?? "info"}
  file: ${options.logFile}
${monitoring}security:
${keys(options.security)}${tls(options.certDir, "server")}`;
}

/** One client's configuration file. */
export function fleetClientYaml(options: FleetClientYaml): string {
  const server = options.servers
    ? `[${options.servers.join(", ")}]`
    : `${FLEET_SERVER_UNDERLAY}:${FLEET_PORT}`;
  return `mode: client
server: ${server}
address: ${options.tunnelIp}/${options.tunnelPrefix}
interface: ${LAB_INTERFACE}
network:
  mtu: 1500
${keys(options.network)}logging:
  level: ${options.level ?? "info"}
  file: ${options.logFile}
security:
${tls(options.certDir, options.name)}`;
}
