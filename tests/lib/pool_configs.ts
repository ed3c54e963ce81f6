/**
 * The pool lab's certificates and configuration files (tests/lib/pool_lab.ts): one CA, a server
 * certificate per server, the client's; both servers list the client with the same pinned
 * addresses and networks.
 */

import type { LabHost } from "../../tools/lab/netns_lab.ts";
import { generateCertificates } from "../../src/pki/generate.ts";
import { shareKeysWithRunGroup } from "./e2e_lab.ts";

/** The client's networks, as the servers' `clients:` entry lists them. */
export const CLIENT_LAN = { v4: "192.168.77.0/24", v6: "fd77:77::/64" };
/** An address inside each, on the client host itself. */
export const CLIENT_LAN_HOST = { v4: "192.168.77.1", v6: "fd77:77::1" };
export const CLIENT_TUNNEL = { v4: "10.8.0.10", v6: "fd77:8::10" };
/** The servers' LAN (the router and its host), which the client routes through the tunnel. */
export const SERVER_LAN = { v4: "10.77.1.0/24", v6: "fd77:1::/64" };

export interface PoolServer {
  readonly name: "a" | "b";
  readonly host: LabHost;
  /** Its LAN address: the router's next hop for the clients it holds. */
  readonly lan: string;
  readonly lan6: string;
  readonly config: string;
  readonly log: string;
}

export interface PoolConfigOptions {
  /** Keys of the servers' and client's `network:` section. */
  readonly network?: string;
  /** Top-level YAML appended to the client's file. */
  readonly clientExtra?: string;
  /** Top-level YAML appended to a server's file. */
  readonly serverExtra?: (name: "a" | "b") => string;
  /** Lines appended to `security.tls` (indented four spaces), by file; `dir` is the lab's. */
  readonly tls?: (who: "a" | "b" | "client", dir: string) => string;
}

export async function issuePoolCertificates(
  dir: string,
  servers: readonly PoolServer[],
): Promise<void> {
  for (const server of servers) {
    const certDir = `${dir}/certs-${server.name}`;
    if (server.name === "b") {
      await Deno.mkdir(certDir, { mode: 0o700 });
      for (const file of ["ca.crt", "ca.key"]) {
        await Deno.copyFile(`${dir}/certs-a/${file}`, `${certDir}/${file}`);
      }
    }
    await generateCertificates({
      certDir,
      serverIp: server.host.ip,
      serverNames: [],
      clientName: server.name === "a" ? "client" : "spare",
      days: 1,
      keyType: "ecdsa-p256",
      force: false,
    });
    await shareKeysWithRunGroup(certDir);
  }
}

/** Writes server-a.yaml, server-b.yaml and client.yaml into `dir`. */
export async function writePoolConfigs(
  dir: string,
  servers: readonly PoolServer[],
  clientLog: string,
  options: PoolConfigOptions,
): Promise<void> {
  const network = `network:\n  ${options.network ?? "keepalive_interval: 1\n  peer_timeout: 3"}\n`;
  const tls = (certs: string, cert: string, who: "a" | "b" | "client") =>
    `security:\n  tls:\n    cert_file: ${certs}/${cert}.crt\n    key_file: ${certs}/${cert}.key\n` +
    `    ca_file: ${certs}/ca.crt\n${options.tls?.(who, dir) ?? ""}`;
  for (const [i, server] of servers.entries()) {
    await Deno.writeTextFile(
      server.config,
      `mode: server
listen: ${server.host.ip}:443
address: [10.8.0.${i + 1}/24, "fd77:8::${i + 1}/64"]
pool: true
# The server-side LAN the client routes to (its routes:): what a client may reach is an
# allow-list (docs/security/trust-boundaries.md).
reachable: [${SERVER_LAN.v4}, "${SERVER_LAN.v6}"]
clients:
  - name: client
    address: [${CLIENT_TUNNEL.v4}, "${CLIENT_TUNNEL.v6}"]
    routes: [${CLIENT_LAN.v4}, "${CLIENT_LAN.v6}"]
logging:
  file: ${server.log}
${network}${tls(`${dir}/certs-${server.name}`, "server", server.name)}${
        options.serverExtra?.(server.name) ?? ""
      }`,
    );
  }
  await Deno.writeTextFile(
    `${dir}/client.yaml`,
    `mode: client
server: [${servers.map((s) => `${s.host.ip}:443`).join(", ")}]
address: [${CLIENT_TUNNEL.v4}/24, "${CLIENT_TUNNEL.v6}/64"]
routes: [${SERVER_LAN.v4}, "${SERVER_LAN.v6}"]
logging:
  file: ${clientLog}
${network}${tls(`${dir}/certs-a`, "client", "client")}${options.clientExtra ?? ""}`,
  );
}
