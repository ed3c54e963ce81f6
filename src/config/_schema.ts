/**
 * The keys of the configuration file, their checks and their defaults. Keys are written as in
 * the file (snake_case); parse.ts turns them into the camelCase `Config` generically, so adding
 * a key is one line here (plus its field in types.ts).
 *
 * @module
 */

import { Mapping, type Output } from "./_check.ts";
import { MAX_PUSHED_ROUTES } from "../frame/control.ts";
import {
  accountName,
  alwaysOn,
  congestionControl,
  describeValue,
  endpoint,
  filePath,
  flag,
  httpUrl,
  integer,
  interfaceName,
  ipAddress,
  oneOf,
  oneOrList,
  outputPath,
  port,
  section,
  tlsVersion,
} from "./_fields.ts";
import { networkList, tunnelAddresses } from "./addresses.ts";
import { clientList, noProxyList, proxyUrl, serverList } from "./_peer_fields.ts";
import type { LogFormat, LogLevel } from "./types.ts";

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error"];
const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/**
 * Bounds of the lists in the file. The file itself is at most 1 MiB (load.ts), which bounds the
 * total further: 10000 clients with a route each already take about half of it.
 */
export const LIMITS = {
  /** Entries of the client's `proxy.no_proxy`. */
  noProxy: 256,
  /** Entries of the server's `clients:` list. */
  clients: 10000,
  /**
   * Networks of all `clients:` entries together: each session's packet filter holds them all
   * (native/filter.h allows 4096 rules; a session's own addresses and routes take up to 258).
   */
  registryRoutes: 3800,
  /** `routes:` of one `clients:` entry. */
  routesPerClient: 256,
  /** The server's `push_routes:`: what one Hello can carry (MAX_PUSHED_ROUTES). */
  pushRoutes: MAX_PUSHED_ROUTES,
  /** The server's `reachable:`: destinations opened to every client (filter rules). */
  reachable: 64,
  /** The client's `routes:`. */
  clientRoutes: 256,
  /** The client's `server:` list. */
  servers: 16,
  /** `max_clients`: sessions at once. */
  maxClients: 100000,
} as const;

/** The schema of a configuration file whose relative paths start from `baseDir`. */
export function fileSchema(baseDir: string) {
  return new Mapping({
    mode: oneOf(["server", "client"], "a mode"),
    // Exactly one of listen/server, depending on mode; parse.ts enforces which, and refuses the
    // keys of the other mode below (their defaults are dropped for the other mode).
    listen: endpoint(false).optional(),
    server: serverList(LIMITS.servers).optional(),
    interface: interfaceName().default("tun0"),
    address: tunnelAddresses(),
    // Server only.
    clients: clientList(LIMITS.clients, LIMITS.routesPerClient).optional(),
    unlisted: oneOf(["refuse", "allow"], "an unlisted policy").optional(),
    push_routes: networkList(LIMITS.pushRoutes),
    reachable: networkList(LIMITS.reachable),
    client_to_client: flag().default(false),
    max_clients: integer(1, LIMITS.maxClients).default(1000),
    pool: flag().default(false),
    proxy_protocol: flag().default(false),
    // Client only.
    server_order: oneOf(["ordered", "shuffled"], "a server order").default("ordered"),
    failback: integer(0, 86400).default(0),
    routes: networkList(LIMITS.clientRoutes),
    accept_routes: flag().default(true),
    proxy: section({
      url: proxyUrl().optional(),
      credentials_file: filePath(baseDir).optional(),
      no_proxy: noProxyList(LIMITS.noProxy),
    }).optional(),
    network: section({
      mtu: integer(576, 65535).default(1500),
      offload: flag().default(true),
      keepalive_interval: integer(1, 3600).default(10),
      peer_timeout: integer(2, 86400).default(35),
      clamp_mss: flag().default(true),
      congestion_control: congestionControl().optional(),
    }),
    // Where the running process writes its pid (for logrotate's or cron's kill -HUP); not needed
    // under systemd, which knows the pid.
    pid_file: outputPath(baseDir).optional(),
    logging: section({
      level: oneOf(LOG_LEVELS, "a log level", { warn: "warning" }).default("info"),
      file: outputPath(baseDir).optional(),
      format: oneOf(LOG_FORMATS, "a log format").default("text"),
    }),
    monitoring: section({
      enabled: flag().default(false),
      address: ipAddress().default("127.0.0.1"),
      port: port().default(9090),
    }),
    security: section({
      // Whom to become once set up; main.ts decides the default (nobody when started as root).
      user: accountName("user").optional(),
      group: accountName("group").optional(),
      handshake_timeout: integer(1, 300).default(10),
      max_pending_connections: integer(1, 65536).default(512),
      max_pending_per_source: integer(1, 65536).default(8),
      max_pending_per_network4: integer(1, 65536).default(32),
      max_pending_per_network6: integer(1, 65536).default(16),
      pending_network4_prefix: integer(8, 32).default(24),
      pending_network6_prefix: integer(16, 128).default(64),
      tls: section({
        enabled: alwaysOn(
          "SSSonector never carries traffic in clear; remove the key or set it to true",
        ).default(true),
        min_version: tlsVersion().default("1.2"),
        cert_file: filePath(baseDir),
        key_file: filePath(baseDir),
        ca_file: filePath(baseDir),
        crl_file: filePath(baseDir).optional(),
        reload_interval: integer(0, 86400).optional(),
        // One CRL for a fleet (src/pki/crl_fetch.ts): fetched into crl_file.
        crl_urls: oneOrList(httpUrl(), 16, "an http:// or https:// URL or a list of them")
          .optional(),
        crl_refresh: integer(10, 86400).default(300),
      }),
    }),
  }, (value) => `the file holds ${describeValue(value)}`);
}

export type FileSchema = ReturnType<typeof fileSchema>;
export type FileValues = Output<FileSchema>;
