/**
 * The in-process lab: real TunnelServer and TunnelClient instances on fake devices
 * (fake_device.ts) and a fake network (fake_network.ts), in one unprivileged process, with short
 * keepalive and backoff so each test runs in milliseconds. Disposing it stops every tunnel.
 */
import { getLogger } from "@logtape/logtape";
import { TunnelClient } from "../../src/client/client.ts";
import { tunnelPrefixes } from "../../src/config/addresses.ts";
import { parseConfig } from "../../src/config/parse.ts";
import type { ClientConfig, ServerConfig } from "../../src/config/types.ts";
import { CounterRegistry } from "../../src/counters/registry.ts";
import { TunnelServer } from "../../src/server/server.ts";
import type { PeerRevocations } from "../../src/tunnel/device.ts";
import { FakeDevice } from "./fake_device.ts";
import { FakeNetwork, type Identity } from "./fake_network.ts";
import { pollUntil } from "./poll.ts";
import { ipv4Packet } from "./recording_writer.ts";

export const logger = getLogger(["sssonector-test"]);

/** Keepalive and backoff in milliseconds instead of seconds. */
export const FAST = {
  keepalive: { intervalMs: 20, timeoutMs: 300 },
  backoff: { initialMs: 5, maxMs: 40, jitter: 0 },
  connectTimeoutMs: 200,
} as const;

const TLS = `security:
  tls:
    cert_file: a.crt
    key_file: a.key
    ca_file: ca.crt
`;

/** A server file: tunnel 10.0.0.1/24, listening on `listen`; `extra` is top-level YAML. */
export function serverText(extra = "", listen = "198.18.0.1:443"): string {
  return `mode: server\nlisten: ${listen}\naddress: 10.0.0.1/24\n${extra}\n${TLS}`;
}

export function serverConfig(extra = "", listen?: string): ServerConfig {
  const config = parseConfig(serverText(extra, listen), "/etc/sssonector/server.yaml");
  if (config.mode !== "server") throw new Error("not a server configuration");
  return config;
}

/** A client file at `address` (10.0.0.N/24) for `servers` (one or a YAML list). */
export function clientConfig(
  address: string,
  extra = "",
  servers = "198.18.0.1:443",
): ClientConfig {
  const text = `mode: client\nserver: ${servers}\naddress: ${address}\n${extra}\n${TLS}`;
  const config = parseConfig(text, "/etc/sssonector/client.yaml");
  if (config.mode !== "client") throw new Error("not a client configuration");
  return config;
}

/** A revocation list the test edits: revoke() calls the listeners, as a CRL reload does. */
export class FakeRevocations implements PeerRevocations {
  #revoked = new Set<string>();
  #listeners = new Set<() => void>();

  revoke(serial: string): void {
    this.#revoked.add(serial);
    for (const listener of this.#listeners) listener();
  }

  isRevoked(serial: string): boolean {
    return this.#revoked.has(serial);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export interface RunningServer {
  readonly server: TunnelServer;
  readonly device: FakeDevice;
  readonly revocations: FakeRevocations;
}

export interface RunningClient {
  readonly client: TunnelClient;
  readonly device: FakeDevice;
  readonly identity: Identity;
}

let serials = 0x100;

/** A certificate identity with a serial of its own. */
export function identity(name: string): Identity {
  return { name, serial: (serials++).toString(16).toUpperCase() };
}

export class InProcessLab implements AsyncDisposable {
  readonly net = new FakeNetwork();
  #stops: Array<() => Promise<void>> = [];

  async startServer(config: ServerConfig, name = "server"): Promise<RunningServer> {
    const device = new FakeDevice("srv0", tunnelPrefixes(config));
    const revocations = new FakeRevocations();
    const server = await TunnelServer.start(config, {
      logger,
      device,
      transport: this.net.serverTransport(identity(name), config.listen),
      revocations,
      counters: new CounterRegistry(),
      forwarding: { ipv4: true, ipv6: true },
    }, { fileLimit: undefined, keepalive: FAST.keepalive });
    this.#stops.push(() => server.stop());
    return { server, device, revocations };
  }

  startClient(config: ClientConfig, who: Identity | string): RunningClient {
    const id = typeof who === "string" ? identity(who) : who;
    const device = new FakeDevice("cli0", tunnelPrefixes(config));
    const client = TunnelClient.start(config, {
      logger,
      device,
      transport: this.net.clientTransport(id),
      revocations: new FakeRevocations(),
      counters: new CounterRegistry(),
    }, FAST);
    this.#stops.push(() => client.stop());
    return { client, device, identity: id };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const stop of this.#stops.reverse()) await stop();
  }
}

/** Waits until the client has an open session. */
export function connected(client: RunningClient, what = "connected"): Promise<void> {
  return pollUntil(() => client.client.session?.state === "open", `${what}`, { intervalMs: 2 });
}

/** Waits until the client's readiness reason matches (e.g. why it was refused). */
export async function refusedWith(client: RunningClient, reason: RegExp): Promise<string> {
  let said = "";
  await pollUntil(
    () => {
      said = client.client.readiness().reason;
      return reason.test(said);
    },
    `client told ${reason}`,
    { intervalMs: 2 },
  );
  return said;
}

/** 10.0.0.N as a host-order u32. */
export function ip(text: string): number {
  return text.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

/** An IPv4 packet whose payload is `tag`, from `source` to `destination`. */
export function packet(source: string, destination: string, tag: number): Uint8Array {
  return ipv4Packet(ip(source), ip(destination), new Uint8Array([tag, tag, tag, tag]));
}

/** Whether `device` received a packet carrying `tag`. */
export function gotTag(device: FakeDevice, tag: number): boolean {
  return device.received.some((p) => p.length === 24 && p[20] === tag && p[23] === tag);
}

/**
 * Sends a packet from `from` into the tunnel (as the kernel would) until `to` receives it: the
 * first may go before the session is open on both ends.
 */
export async function deliver(
  from: FakeDevice,
  to: FakeDevice,
  source: string,
  destination: string,
  tag: number,
): Promise<void> {
  await pollUntil(
    () => {
      if (!gotTag(to, tag)) from.send(packet(source, destination, tag));
      return gotTag(to, tag);
    },
    `packet ${tag} from ${source} to ${destination} arrives`,
    { intervalMs: 2 },
  );
}
