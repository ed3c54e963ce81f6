/**
 * A comparison row: wireguard-go (Debian's package, userspace WireGuard over UDP) between the
 * lab's hosts, with fresh keys and its default MTU (1420). Both ends run in the foreground in the
 * lab's namespaces, so their pids are wireguard-go's own.
 */
import { LabError, type LabHost, type NetnsLab, run } from "../lab/netns_lab.ts";
import { firstExit, waitForPing } from "../lab/wait_for_ping.ts";
import { errorMessage } from "../../src/base/error_message.ts";

export const WIREGUARD_SERVER_IP = "10.9.0.1";
export const WIREGUARD_CLIENT_IP = "10.9.0.2";
/**
 * Device names: wireguard-go's control sockets (/var/run/wireguard/NAME.sock) are shared by all
 * namespaces, so the two ends, and other processes' labs, need names of their own.
 */
const DEVICES = {
  server: `wgs${Deno.pid % 100000}`,
  client: `wgc${Deno.pid % 100000}`,
} as const;
const PORT = 51820;
const MTU = 1420;

/** `wireguard-go v0.0.20220316` when wireguard-go and wg are installed, else undefined. */
export async function wireguardVersion(): Promise<string | undefined> {
  try {
    const wg = await run("wg", ["--version"]);
    const go = await run("wireguard-go", ["--version"]);
    if (wg.code !== 0) return undefined;
    return /wireguard-go v\S+/.exec(go.stdout)?.[0] ?? "wireguard-go";
  } catch {
    return undefined;
  }
}

/** A private key and its public key, from `wg genkey` and `wg pubkey`. */
async function keyPair(lab: NetnsLab, host: LabHost): Promise<{ secret: string; public: string }> {
  const secret = (await lab.exec(host, "wg", ["genkey"])).trim();
  const derived = await lab.try(host, "wg", ["pubkey"], { stdin: secret + "\n" });
  if (derived.code !== 0) throw new LabError(`wg pubkey failed: ${derived.stderr.trim()}`);
  return { secret, public: derived.stdout.trim() };
}

/** A running wireguard-go pair joined through the lab. */
export class WireguardTunnel {
  readonly server: Deno.ChildProcess;
  readonly client: Deno.ChildProcess;
  #lab: NetnsLab;
  #logs: Promise<string>[];

  private constructor(lab: NetnsLab, server: Deno.ChildProcess, client: Deno.ChildProcess) {
    this.#lab = lab;
    this.server = server;
    this.client = client;
    this.#logs = [server, client].map((child) => new Response(child.stderr).text());
  }

  /** Starts both ends, configures them and waits until a ping crosses; stops both if not. */
  static async start(lab: NetnsLab, dir: string): Promise<WireguardTunnel> {
    const start = (host: LabHost, device: string) =>
      lab.spawn(host, "wireguard-go", ["-f", device], { stderr: "piped" });
    const tunnel = new WireguardTunnel(
      lab,
      start(lab.server, DEVICES.server),
      start(lab.client, DEVICES.client),
    );
    try {
      const keys = {
        server: await keyPair(lab, lab.server),
        client: await keyPair(lab, lab.client),
      };
      const ends = [
        { host: lab.server, device: DEVICES.server, own: keys.server, peer: keys.client },
        { host: lab.client, device: DEVICES.client, own: keys.client, peer: keys.server },
      ];
      for (const { host, device, own, peer } of ends) {
        const server = host === lab.server;
        const address = server ? WIREGUARD_SERVER_IP : WIREGUARD_CLIENT_IP;
        const peerAddress = server ? WIREGUARD_CLIENT_IP : WIREGUARD_SERVER_IP;
        const endpoint = server ? undefined : lab.server;
        await waitForDevice(lab, host, device);
        const keyFile = `${dir}/${host.ns}.key`;
        await Deno.writeTextFile(keyFile, own.secret + "\n", { mode: 0o600 });
        await lab.exec(host, "wg", [
          ...["set", device, "private-key", keyFile, "listen-port", String(PORT)],
          ...["peer", peer.public, "allowed-ips", `${peerAddress}/32`],
          ...(endpoint ? ["endpoint", `${endpoint.ip}:${PORT}`, "persistent-keepalive", "5"] : []),
        ]);
        await lab.exec(host, "ip", ["addr", "add", `${address}/24`, "dev", device]);
        await lab.exec(host, "ip", ["link", "set", device, "mtu", String(MTU), "up"]);
      }
      await waitForPing(lab, lab.client, WIREGUARD_SERVER_IP, {
        timeoutMs: 30_000,
        gaveUp: firstExit({ server: tunnel.server.status, client: tunnel.client.status }),
      });
    } catch (error) {
      await tunnel.stop();
      throw new LabError(`${errorMessage(error)}\n${await tunnel.logTails()}`);
    }
    return tunnel;
  }

  /** The last lines each end wrote, for error messages. */
  async logTails(lines = 5): Promise<string> {
    const texts = await Promise.all(this.#logs.map((log) => log.catch(() => "")));
    return ["server", "client"].map((role, i) =>
      `wireguard-go ${role}:\n${texts[i]!.trimEnd().split("\n").slice(-lines).join("\n")}`
    ).join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all([this.#lab.stop(this.client, 3000), this.#lab.stop(this.server, 3000)]);
  }
}

/** Polls until wireguard-go has created the device (it does so within milliseconds). */
async function waitForDevice(lab: NetnsLab, host: LabHost, device: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await lab.try(host, "ip", ["link", "show", device])).code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new LabError(`wireguard-go made no ${device} in ${host.ns} within 5 s`);
}
