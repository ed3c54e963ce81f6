/** The validated, defaulted configuration of one SSSonector process (server or client mode). */

import type { IpPrefix } from "../ip/prefix.ts";

export type LogLevel = "debug" | "info" | "warning" | "error";
export type TlsVersion = "1.2" | "1.3";
export type LogFormat = "text" | "json";

/** A host and port, as written `host:port` or `[v6addr]:port` in the YAML file. */
export interface Endpoint {
  /** Host name or IP address without brackets, e.g. `0.0.0.0`, `::1`, `vpn.example.com`. */
  readonly host: string;
  readonly port: number;
}

/** An interface address with its prefix, as written `10.0.0.1/24`. */
export interface InterfaceAddress {
  /** Dotted IPv4 address, e.g. `10.0.0.1`. */
  readonly ip: string;
  /** Prefix length 1..32. */
  readonly prefixLength: number;
}

export interface NetworkConfig {
  /** TUN MTU, 576..65535. @default 1500 */
  readonly mtu: number;
  /**
   * TUN checksum and segmentation offloads (IFF_VNET_HDR): whole 64 KiB TCP super-packets cross
   * the tunnel as one frame when both sides have them. @default true
   */
  readonly offload: boolean;
  /** Seconds between keepalive pings. @default 10 */
  readonly keepaliveInterval: number;
  /** Seconds without any frame from the peer before its session is closed. @default 35 */
  readonly peerTimeout: number;
  /**
   * Lower the MSS option of TCP SYNs crossing the tunnel to what fits its MTU (mtu - 40 for IPv4,
   * mtu - 60 for IPv6), so paths with a smaller MTU than the LANs' do not black-hole large
   * transfers. `clamp_mss` in the file. @default true
   */
  readonly clampMss: boolean;
}

export interface LoggingConfig {
  /** @default "info" (`warn` in the file is accepted as `warning`) */
  readonly level: LogLevel;
  /** Absolute path of the log file; undefined means standard output. */
  readonly file?: string;
  /** `text` lines, or one JSON object a line. @default "text" */
  readonly format?: LogFormat;
}

export interface MonitoringConfig {
  /** Serve /metrics, /healthz, /readyz and the status page. @default false */
  readonly enabled: boolean;
  /** IP address to listen on; keep it local or on a management network. @default "127.0.0.1" */
  readonly address: string;
  /** @default 9090 */
  readonly port: number;
}

export interface TlsConfig {
  /** Always true: a config with `enabled: false` is refused. */
  readonly enabled: true;
  /** @default "1.2" */
  readonly minVersion: TlsVersion;
  /** Absolute paths (relative paths in the file resolve against the file's folder). */
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /**
   * The CA's certificate revocation list (PEM), checked against the CA and reloaded with the
   * certificates; undefined means no revocation list.
   */
  readonly crlFile?: string;
}

export interface SecurityConfig {
  /**
   * The user to become once the TUN device is open and the port bound (a name or numeric id).
   * Undefined: `nobody` when started as root, no change otherwise. `root` (or 0) keeps root.
   */
  readonly user?: string;
  /** The group to become with it. Undefined: the user's primary group (nogroup for nobody). */
  readonly group?: string;
  /** Seconds a connection may take for the TLS handshake, and then for the Hello. @default 10 */
  readonly handshakeTimeout: number;
  /** Server: connections at once that are not yet a session. @default 512 */
  readonly maxPendingConnections: number;
  /** Server: the same, from one source address. @default 8 */
  readonly maxPendingPerSource: number;
  readonly tls: TlsConfig;
}

interface CommonConfig {
  /** Absolute path of the file this configuration came from. */
  readonly sourcePath: string;
  /** File the running process writes its pid into, removed at exit (`pid_file`). */
  readonly pidFile?: string;
  /** TUN interface name, 1..15 characters. @default "tun0" */
  readonly interface: string;
  /** The IPv4 tunnel address (the first IPv4 entry of `address`); always present. */
  readonly address: InterfaceAddress;
  /** The IPv6 tunnel address with its prefix, when `address` lists one (e.g. fd00:5::1/64). */
  readonly address6?: IpPrefix;
  readonly network: NetworkConfig;
  readonly logging: LoggingConfig;
  readonly monitoring: MonitoringConfig;
  readonly security: SecurityConfig;
}

/** One entry of the server's `clients:` list, found by the certificate's common name. */
export interface RegisteredClient {
  /** The certificate's common name. */
  readonly name: string;
  /** `allow: false` refuses the name with a reason it is told. @default true */
  readonly allow: boolean;
  /** The only tunnel address(es) it may use: at most one IPv4 and one IPv6, host addresses. */
  readonly addresses: readonly IpPrefix[];
  /** Networks behind it (either family, host bits clear), routed to it while it is connected. */
  readonly routes: readonly IpPrefix[];
}

/** The server's client registry: present when the file has `clients:`. */
export interface ClientRegistryConfig {
  readonly clients: readonly RegisteredClient[];
  /** What happens to a certificate whose name is not listed (`unlisted:`). @default "refuse" */
  readonly unlisted: "refuse" | "allow";
}

export interface ServerConfig extends CommonConfig {
  readonly mode: "server";
  /** Where to accept clients. */
  readonly listen: Endpoint;
  /** Undefined without `clients:`: any certificate of our CA may take any free address. */
  readonly registry?: ClientRegistryConfig;
  /** Networks announced to every client in the Hello (`push_routes:`). @default [] */
  readonly pushRoutes: readonly IpPrefix[];
  /** Whether the server forwards packets between clients (`client_to_client`). @default false */
  readonly clientToClient: boolean;
  /** Sessions at once; the next client is refused with a reason (`max_clients`). @default 1000 */
  readonly maxClients: number;
}

export interface ClientConfig extends CommonConfig {
  readonly mode: "client";
  /** The first server to try (servers[0]). */
  readonly server: Endpoint;
  /** Every server to try, in the file's order: `server:` is one `host:port` or a list of them. */
  readonly servers: readonly Endpoint[];
  /** Try the servers in the file's order on each reconnect, or shuffled. @default "ordered" */
  readonly serverOrder: "ordered" | "shuffled";
  /** Networks to reach through the tunnel, installed on the interface at start. @default [] */
  readonly routes: readonly IpPrefix[];
  /** Install the routes the server announces, for as long as the session lasts. @default true */
  readonly acceptRoutes: boolean;
}

export type Config = ServerConfig | ClientConfig;
