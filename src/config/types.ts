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
  /**
   * The carrier TCP's congestion control (`congestion_control` in the file): a kernel name, or
   * `system` for the host's default. Undefined: bbr where the kernel has it, else the system's.
   */
  readonly congestionControl?: string;
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
  /**
   * Seconds between checks of the files for changes (copying a file is enough; 0: only SIGHUP
   * reloads). Undefined: 30 (src/pki/cert_watch.ts).
   */
  readonly reloadInterval?: number;
  /**
   * Where to fetch the CA's current CRL (e.g. other servers' `/crl`), tried in order every
   * `crlRefresh` seconds; a list that verifies replaces crl_file and applies at once
   * (src/pki/crl_fetch.ts). Needs crl_file. Undefined: no fetching.
   */
  readonly crlUrls?: readonly string[];
  /** Seconds between CRL fetches (`crl_refresh`). @default 300 */
  readonly crlRefresh?: number;
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
  /**
   * Server: the same, from one IPv4 network of pendingNetwork4Prefix bits (a /24 may be a carrier
   * NAT with many customers, hence 4 addresses' worth). @default 32
   */
  readonly maxPendingPerNetwork4?: number;
  /** Server: the same, from one IPv6 network (a /64 is one subscriber's link). @default 16 */
  readonly maxPendingPerNetwork6?: number;
  /** @default 24 */
  readonly pendingNetwork4Prefix?: number;
  /** @default 64 */
  readonly pendingNetwork6Prefix?: number;
  readonly tls: TlsConfig;
}

interface CommonConfig {
  /** Absolute path of the file this configuration came from. */
  readonly sourcePath: string;
  /** File the running process writes its pid into, removed at exit (`pid_file`). */
  readonly pidFile?: string;
  /** TUN interface name, 1..15 characters. @default "tun0" */
  readonly interface: string;
  /**
   * The IPv4 tunnel address with the tunnel network's prefix (the IPv4 entry of `address`, e.g.
   * 10.0.0.1/24); always present.
   */
  readonly address: IpPrefix<4>;
  /** The IPv6 tunnel address with its prefix, when `address` lists one (e.g. fd00:5::1/64). */
  readonly address6?: IpPrefix<6>;
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
  /**
   * Destinations every client may reach besides the server's tunnel addresses and push_routes
   * (`reachable:`; src/server/reachable.ts). @default []
   */
  readonly reachable: readonly IpPrefix[];
  /** Whether the server forwards packets between clients (`client_to_client`). @default false */
  readonly clientToClient: boolean;
  /** Sessions at once; the next client is refused with a reason (`max_clients`). @default 1000 */
  readonly maxClients: number;
  /**
   * One server of a pool (`pool:`): each client also gets host routes for its tunnel addresses,
   * and every client route a freshness metric (newer session, lower metric) for a routing daemon
   * to announce; see src/server/pool_routes.ts and docs/guide/pool.md. @default false
   */
  readonly pool: boolean;
  /**
   * Every connection starts with a PROXY protocol header (v2 or v1) from a TLS passthrough front (nginx
   * stream with ssl_preread and proxy_protocol on), naming the client's address; a connection
   * without one is refused. Never read unless on. `proxy_protocol` in the file. @default false
   */
  readonly proxyProtocol: boolean;
}

export interface ClientConfig extends CommonConfig {
  readonly mode: "client";
  /** The first server to try (servers[0]). */
  readonly server: Endpoint;
  /** Every server to try, in the file's order: `server:` is one `host:port` or a list of them. */
  readonly servers: readonly Endpoint[];
  /** Try the servers in the file's order on each reconnect, or shuffled. @default "ordered" */
  readonly serverOrder: "ordered" | "shuffled";
  /**
   * With `ordered`: seconds a session with a server that is not the first must last before the
   * client tries the servers before it and moves to the first that answers (and again after as
   * long after each failed try); 0 never returns (`failback:`). @default 0
   */
  readonly failback: number;
  /** Networks to reach through the tunnel, installed on the interface at start. @default [] */
  readonly routes: readonly IpPrefix[];
  /** Install the routes the server announces, for as long as the session lasts. @default true */
  readonly acceptRoutes: boolean;
  /** Reach the server through this HTTP proxy (CONNECT); absent: directly. */
  readonly proxy?: ProxyConfig;
}

/** The client's `proxy:` section, when it names a proxy. */
export interface ProxyConfig {
  /** `http://HOST:PORT`. */
  readonly url: string;
  /** User name on the first line, password on the second (Basic credentials). */
  readonly credentialsFile?: string;
  /** Servers reached directly: names (`*.example.com`, `.example.com`) or addresses. */
  readonly noProxy: readonly string[];
}

export type Config = ServerConfig | ClientConfig;
