/**
 * What each key of the configuration file means, for the reference page and the man page. The
 * keys themselves, whether they are required and their defaults come from the schema
 * (schema_keys.ts); {@linkcode configKeyRows} refuses a key that is described here but not in the
 * schema or the other way round, so the two lists cannot drift apart.
 *
 * @module
 */

import { type SchemaKey, schemaKeys } from "./schema_keys.ts";

/** Which mode's file takes a key: the other mode's file refuses it with one line. */
export type KeyMode = "server" | "client" | "any";

/** What the reference says about one key. */
export interface KeyText {
  readonly mode: KeyMode;
  readonly meaning: string;
  /**
   * What leaving the key out means, for keys without a default in the schema ("none",
   * "stdout", ...). Keys with a schema default never set this: the default shown is the schema's.
   */
  readonly absent?: string;
}

/** Every key of the file but the sections, by dotted path (`clients[].name`: an entry's key). */
export const KEY_TEXTS: Readonly<Record<string, KeyText>> = {
  "mode": { mode: "any", meaning: "`server` or `client`" },
  "listen": {
    mode: "server",
    absent: "required (server)",
    meaning: '`IP:PORT` to accept clients on, e.g. `0.0.0.0:443`, `"[::]:443"`',
  },
  "server": {
    mode: "client",
    absent: "required (client)",
    meaning:
      "`HOST:PORT` of the server (HOST may be a DNS name), or a list of up to 16 to fail over between",
  },
  "interface": { mode: "any", meaning: "TUN interface name" },
  "address": {
    mode: "any",
    meaning:
      'this host\'s tunnel address with prefix, `10.0.0.1/24`, or it and an IPv6 one: `[10.0.0.1/24, "fd00:5::1/64"]`',
  },
  "clients": {
    mode: "server",
    absent: "none",
    meaning:
      "the client registry by certificate name (see Routed networks); none: any CA certificate may connect",
  },
  "clients[].name": {
    mode: "server",
    meaning: "the certificate's common name, 1 to 64 characters; each name is listed once",
  },
  "clients[].allow": {
    mode: "server",
    meaning: "`false` refuses the name (the entry stays, to turn it back on)",
  },
  "clients[].address": {
    mode: "server",
    meaning:
      "a host address (`10.0.0.11`, `/32` or `/128` accepted) or one of each family, in the tunnel network; none: a free one",
  },
  "clients[].routes": {
    mode: "server",
    meaning: "networks behind the client, either family, at most 256",
  },
  "unlisted": {
    mode: "server",
    absent: "`refuse`",
    meaning:
      "with `clients`: a name not listed is refused, or with `allow` connects as without a registry",
  },
  "push_routes": {
    mode: "server",
    meaning: "networks announced to every client, e.g. `[192.168.1.0/24]`, at most 64",
  },
  "reachable": {
    mode: "server",
    meaning:
      "more destinations every client may reach besides the server's tunnel addresses and `push_routes` (e.g. the server's LAN address); everything else on the server host is refused and counted",
  },
  "client_to_client": {
    mode: "server",
    meaning:
      "forward packets between clients (their tunnel addresses and the networks behind them)",
  },
  "max_clients": {
    mode: "server",
    meaning: "sessions at once, 1..100000; the next client is refused with a reason",
  },
  "pool": {
    mode: "server",
    meaning:
      "one server of a pool: client routes and host routes carry a freshness metric for BIRD or FRR to announce (see the pool guide)",
  },
  "proxy_protocol": {
    mode: "server",
    meaning:
      "every connection starts with a PROXY protocol header (v2 or v1) from a TLS passthrough front; never read unless on",
  },
  "server_order": {
    mode: "client",
    meaning: "try the `server` list in the file's order on each reconnect, or `shuffled`",
  },
  "failback": {
    mode: "client",
    meaning:
      "seconds on a later server of the list before trying the earlier ones again (0: stay); the move is made before the old session closes",
  },
  "routes": {
    mode: "client",
    meaning:
      "networks reached through the tunnel, e.g. `[172.16.0.0/16]`, installed at start, at most 256",
  },
  "accept_routes": {
    mode: "client",
    meaning:
      "install the networks the server announces (its `push_routes`) while the session lasts",
  },
  "proxy.url": {
    mode: "client",
    absent: "none",
    meaning: "reach the server through this HTTP CONNECT proxy, `http://HOST:PORT`",
  },
  "proxy.credentials_file": {
    mode: "client",
    absent: "none",
    meaning: "a file holding `user:password` for the proxy's Basic authentication, read at start",
  },
  "proxy.no_proxy": {
    mode: "client",
    meaning: "server names or addresses reached directly, not through the proxy",
  },
  "network.mtu": { mode: "any", meaning: "TUN MTU, 576..65535" },
  "network.offload": {
    mode: "any",
    meaning:
      "TUN checksum/segmentation offloads; 64 KiB TCP super-packets cross the tunnel whole when both sides have them",
  },
  "network.keepalive_interval": {
    mode: "any",
    meaning:
      "seconds between the client's keepalive pings; a server pings only when its client has been quiet 1.5 intervals, and once a minute for its round trip (docs/design/protocol.md)",
  },
  "network.peer_timeout": {
    mode: "any",
    meaning: "seconds of silence after which a peer is considered dead",
  },
  "network.clamp_mss": {
    mode: "any",
    meaning:
      "lower the MSS of TCP SYNs crossing the tunnel to fit its MTU (mtu - 40; IPv6: mtu - 60)",
  },
  "network.congestion_control": {
    mode: "any",
    absent: "`bbr` where the kernel allows it, else the system's",
    meaning:
      "the carrier TCP connection's congestion control (`bbr`, `cubic`, ... or `system`); one line at start says which",
  },
  "logging.level": { mode: "any", meaning: "`debug`, `info`, `warning` (or `warn`), `error`" },
  "logging.file": {
    mode: "any",
    absent: "stdout",
    meaning: "log file, appended to, created 0640; reopened on SIGHUP (log rotation)",
  },
  "logging.format": {
    mode: "any",
    meaning:
      "`text` lines, or `json`: one object a line with time, level, component, message and fields",
  },
  "pid_file": {
    mode: "any",
    absent: "none",
    meaning:
      "file the running process writes its pid into (for cron and logrotate without systemd), removed at exit",
  },
  "monitoring.enabled": {
    mode: "any",
    meaning: "serve `/metrics`, `/healthz`, `/readyz` and the status page (see Monitoring)",
  },
  "monitoring.address": {
    mode: "any",
    meaning:
      "IP address the endpoint listens on; it has no authentication, keep it local or firewalled",
  },
  "monitoring.port": {
    mode: "any",
    meaning: "its TCP port; a port that cannot be bound stops the start with one line",
  },
  "security.user": {
    mode: "any",
    absent: "as root: `sssonector` where it exists, else `nobody`",
    meaning:
      "whom to become once set up (name or id); `root` keeps root, with a warning; not root: no change",
  },
  "security.group": {
    mode: "any",
    absent: "user's group",
    meaning:
      "the group to become with it (name or id); default the user's primary group (`nogroup` for `nobody`)",
  },
  "security.handshake_timeout": {
    mode: "any",
    meaning: "server and client: seconds for the TLS handshake, and again for the Hello",
  },
  "security.max_pending_connections": {
    mode: "any",
    meaning: "used by a server: connections at once that are not yet a session",
  },
  "security.max_pending_per_source": {
    mode: "any",
    meaning: "used by a server: the same, from one source address",
  },
  "security.max_pending_per_network4": {
    mode: "any",
    meaning:
      "used by a server: the same, from one IPv4 network of `pending_network4_prefix` bits (a carrier NAT may hold many customers)",
  },
  "security.max_pending_per_network6": {
    mode: "any",
    meaning:
      "used by a server: the same, from one IPv6 network of `pending_network6_prefix` bits (one /64 is one subscriber)",
  },
  "security.pending_network4_prefix": {
    mode: "any",
    meaning: "used by a server: the IPv4 prefix length that counts as one network at the door",
  },
  "security.pending_network6_prefix": {
    mode: "any",
    meaning: "used by a server: the IPv6 prefix length that counts as one network at the door",
  },
  "security.tls.enabled": {
    mode: "any",
    meaning: "`false` is refused: SSSonector never carries traffic in clear",
  },
  "security.tls.min_version": { mode: "any", meaning: '`"1.2"` or `"1.3"`' },
  "security.tls.cert_file": { mode: "any", meaning: "this host's certificate" },
  "security.tls.key_file": { mode: "any", meaning: "its PKCS#8 private key" },
  "security.tls.ca_file": {
    mode: "any",
    meaning: "the CA that signs the peers' certificates",
  },
  "security.tls.crl_file": {
    mode: "any",
    absent: "none",
    meaning:
      "the CA's revocation list (`ca.crl` from `--revoke-cert`); peers whose certificate it lists are refused",
  },
  "security.tls.reload_interval": {
    mode: "any",
    absent: "30",
    meaning:
      "seconds between checks of the certificate, key, CA and CRL files for changes, reloaded by themselves (0: only SIGHUP)",
  },
  "security.tls.crl_urls": {
    mode: "any",
    absent: "none",
    meaning:
      "URLs to fetch the CA's current CRL from (e.g. another server's `/crl`), checked and applied live; needs `crl_file`",
  },
  "security.tls.crl_refresh": {
    mode: "any",
    meaning: "seconds between CRL fetches from `crl_urls`",
  },
};

/** One row of the reference: the schema's view of a key and what it means. */
export interface KeyRow extends KeyText {
  readonly path: string;
  /** The default as the reference shows it: the schema's value, or what absence means. */
  readonly shownDefault: string;
}

/**
 * The keys of the schema with their texts, in the schema's order (sections left out).
 *
 * @throws {Error} naming every key the schema has and KEY_TEXTS lacks, or the other way round,
 * and every text that sets `absent` for a key with a schema default (or lacks it without one).
 */
export function configKeyRows(keys: readonly SchemaKey[] = schemaKeys()): KeyRow[] {
  const problems: string[] = [];
  const leaves = keys.filter((key) => !key.section);
  const rows: KeyRow[] = [];
  for (const key of leaves) {
    const text = KEY_TEXTS[key.path];
    if (text === undefined) {
      problems.push(`${key.path}: in the schema but not described in tools/docs/config_keys.ts`);
      continue;
    }
    const shown = shownDefault(key, text);
    if (typeof shown !== "string") problems.push(`${key.path}: ${shown.problem}`);
    else rows.push({ ...text, path: key.path, shownDefault: shown });
  }
  const known = new Set(leaves.map((key) => key.path));
  for (const path of Object.keys(KEY_TEXTS)) {
    if (!known.has(path)) problems.push(`${path}: described but not a key of the schema`);
  }
  if (problems.length > 0) throw new Error(`configuration keys:\n  ${problems.join("\n  ")}`);
  return rows;
}

function shownDefault(key: SchemaKey, text: KeyText): string | { problem: string } {
  switch (key.presence.kind) {
    case "default":
      if (text.absent !== undefined) {
        return { problem: "has a default in the schema; remove its `absent` text" };
      }
      return `\`${yamlValue(key.presence.value)}\``;
    case "required":
      return text.absent ?? "required";
    case "optional":
      return text.absent ??
        { problem: "is optional without a default: say what absence means in `absent`" };
  }
}

/** A default as it is written in YAML: `tun0`, `true`, `[]`, `"1.2"` (a string like a number). */
export function yamlValue(value: unknown): string {
  if (typeof value === "string") {
    return /^[0-9.]+$/.test(value) || value === "" ? JSON.stringify(value) : value;
  }
  return JSON.stringify(value);
}
