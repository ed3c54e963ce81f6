/**
 * The reference row: OpenVPN 2.6 in peer-to-peer TLS mode over TCP, AES-256-GCM, with the same
 * certificates as SSSonector. Both ends run in the foreground in the lab's namespaces, so their
 * pids are OpenVPN's own, and log into the run's temporary folder.
 */
import { LabError, type NetnsLab, run } from "../lab/netns_lab.ts";
import { firstExit, waitForPing } from "../lab/wait_for_ping.ts";
import { errorMessage } from "../../src/base/error_message.ts";

export const OPENVPN_SERVER_IP = "10.8.0.1";
export const OPENVPN_CLIENT_IP = "10.8.0.2";

export interface OpenVpnArgsOptions {
  readonly role: "server" | "client";
  /** Folder with ca.crt, server.crt/.key and client.crt/.key. */
  readonly certDir: string;
  readonly logPath: string;
  /** The server's underlay address: bound by the server, dialled by the client. */
  readonly serverIp: string;
  /** @default 1194 */
  readonly port?: number;
  /** @default 1500 */
  readonly tunnelMtu?: number;
  /** TUN device name inside the namespace. @default "ovpn0" */
  readonly device?: string;
}

/**
 * The command line of one end. Data channel offload is disabled so that all the tunnel's work
 * happens in the OpenVPN process, where its CPU time can be measured, as SSSonector's is.
 */
export function openvpnArgs(options: OpenVpnArgsOptions): string[] {
  const { role, certDir, port = 1194, tunnelMtu = 1500, device = "ovpn0" } = options;
  const server = role === "server";
  const [local, remote] = server
    ? [OPENVPN_SERVER_IP, OPENVPN_CLIENT_IP]
    : [OPENVPN_CLIENT_IP, OPENVPN_SERVER_IP];
  return [
    ...["--dev", device, "--dev-type", "tun", "--ifconfig", local, remote],
    // --tcp-nodelay: OpenVPN's own advice for TCP tunnels; without it Nagle and delayed ACKs
    // put tens of milliseconds on idle round trips, and the latency comparison would flatter us.
    ...["--tun-mtu", String(tunnelMtu), "--disable-dco", "--tcp-nodelay"],
    ...(server
      ? ["--proto", "tcp-server", "--local", options.serverIp, "--lport", String(port)]
      : ["--proto", "tcp-client", "--remote", options.serverIp, String(port), "--nobind"]),
    ...(server
      ? ["--tls-server", "--dh", "none"]
      : ["--tls-client", "--remote-cert-tls", "server"]),
    ...["--ca", `${certDir}/ca.crt`],
    ...["--cert", `${certDir}/${role}.crt`, "--key", `${certDir}/${role}.key`],
    ...["--data-ciphers", "AES-256-GCM", "--tls-version-min", "1.2"],
    ...["--verb", "3", "--log", options.logPath],
  ];
}

/** `OpenVPN 2.6.14` when openvpn is installed, else undefined. */
export async function openvpnVersion(): Promise<string | undefined> {
  try {
    // `openvpn --version` exits non-zero on some versions; the banner is what counts.
    const { stdout } = await run("openvpn", ["--version"]);
    return /^OpenVPN \S+/m.exec(stdout)?.[0];
  } catch {
    return undefined;
  }
}

export type OpenVpnAvailability =
  | { readonly version: string }
  | { readonly missing: string };

/** Installs openvpn with apt-get when it is missing; reports why not when that fails. */
export async function ensureOpenvpn(say: (line: string) => void): Promise<OpenVpnAvailability> {
  const present = await openvpnVersion();
  if (present) return { version: present };
  say("openvpn is missing: apt-get install -y openvpn");
  const apt = (args: string[]) =>
    run("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", ...args]).catch((error) => ({
      code: 127,
      stdout: "",
      stderr: String(error),
    }));
  let result = await apt(["install", "-y", "-qq", "openvpn"]);
  if (result.code !== 0) {
    await apt(["update", "-qq"]);
    result = await apt(["install", "-y", "-qq", "openvpn"]);
  }
  const installed = await openvpnVersion();
  if (installed) return { version: installed };
  const detail = result.stderr.trim().split("\n").slice(-2).join(" ") || `exit ${result.code}`;
  return { missing: `openvpn is not installed and apt-get could not install it: ${detail}` };
}

export interface OpenVpnTunnelOptions {
  readonly certDir: string;
  /** Folder for the two logs. */
  readonly dir: string;
  /** @default 1500 */
  readonly tunnelMtu?: number;
  /** @default 30_000 */
  readonly readyTimeoutMs?: number;
}

/** A running OpenVPN server and client joined through the lab. */
export class OpenVpnTunnel {
  readonly server: Deno.ChildProcess;
  readonly client: Deno.ChildProcess;
  readonly serverLog: string;
  readonly clientLog: string;
  #lab: NetnsLab;

  private constructor(
    lab: NetnsLab,
    server: Deno.ChildProcess,
    client: Deno.ChildProcess,
    logs: { server: string; client: string },
  ) {
    this.#lab = lab;
    this.server = server;
    this.client = client;
    this.serverLog = logs.server;
    this.clientLog = logs.client;
  }

  /** Starts both ends and waits until a ping crosses the tunnel; stops both if it never does. */
  static async start(lab: NetnsLab, options: OpenVpnTunnelOptions): Promise<OpenVpnTunnel> {
    const common = {
      certDir: options.certDir,
      serverIp: lab.server.ip,
      tunnelMtu: options.tunnelMtu ?? 1500,
    };
    const logs = {
      server: `${options.dir}/openvpn-server.log`,
      client: `${options.dir}/openvpn-client.log`,
    };
    const server = lab.spawn(
      lab.server,
      "openvpn",
      openvpnArgs({ ...common, role: "server", logPath: logs.server }),
    );
    const client = lab.spawn(
      lab.client,
      "openvpn",
      openvpnArgs({ ...common, role: "client", logPath: logs.client }),
    );
    const tunnel = new OpenVpnTunnel(lab, server, client, logs);
    try {
      await waitForPing(lab, lab.client, OPENVPN_SERVER_IP, {
        timeoutMs: options.readyTimeoutMs ?? 30_000,
        gaveUp: firstExit({ server: server.status, client: client.status }),
      });
    } catch (error) {
      const logs = await tunnel.logTails();
      await tunnel.stop();
      throw new LabError(`${errorMessage(error)}\n${logs}`);
    }
    return tunnel;
  }

  /** The last lines of both logs, for error messages. */
  async logTails(lines = 8): Promise<string> {
    const tail = async (path: string) => {
      const text = await Deno.readTextFile(path).catch(() => "(no log)");
      return text.trimEnd().split("\n").slice(-lines).join("\n");
    };
    return `openvpn server log:\n${await tail(this.serverLog)}\n` +
      `openvpn client log:\n${await tail(this.clientLog)}`;
  }

  async stop(): Promise<void> {
    await Promise.all([this.#lab.stop(this.client, 3000), this.#lab.stop(this.server, 3000)]);
  }
}
