/**
 * The rows: plain veth, SSSonector with offloads on and off, OpenVPN over TCP and over UDP, and
 * wireguard-go. Each
 * starts what it needs in the lab, measures, stops it again, and turns any failure into a row
 * with status "failed" and the reason, so one broken row never hides the others.
 */
import type { NetnsLab } from "../lab/netns_lab.ts";
import { LAB_INTERFACE, writeLabConfigs } from "../lab/lab_configs.ts";
import { TunnelProcess } from "../lab/tunnel_process.ts";
import { findProcess, TUNNEL_COMM } from "./_proc.ts";
import { firstExit, waitForPing } from "../lab/wait_for_ping.ts";
import { measureRow, type RowPlan, type TunnelPid } from "./measure_row.ts";
import {
  OPENVPN_CLIENT_IP,
  OPENVPN_SERVER_IP,
  type OpenVpnAvailability,
  OpenVpnTunnel,
} from "./openvpn.ts";
import { parseVnetHdr } from "./tun_link.ts";
import { WIREGUARD_CLIENT_IP, WIREGUARD_SERVER_IP, WireguardTunnel } from "./wireguard.ts";
import type { BenchRow, RowId, RowMeasurement } from "./types.ts";
import { errorMessage } from "../../src/base/error_message.ts";

export const SSSONECTOR_SERVER_IP = "10.0.0.1";
export const SSSONECTOR_CLIENT_IP = "10.0.0.2";

export const ROW_LABELS: Readonly<Record<RowId, string>> = {
  "veth": "veth (no tunnel)",
  "sssonector-offload-on": "sssonector offload on",
  "sssonector-offload-off": "sssonector offload off",
  "openvpn-tcp": "openvpn-tcp",
  "openvpn-udp": "openvpn-udp",
  "wireguard-go": "wireguard-go",
};

export interface RowContext {
  readonly lab: NetnsLab;
  /** Certificates from generateCertificates (ca, server, client). */
  readonly certDir: string;
  /** The run's temporary folder; each row writes its configs and logs below it. */
  readonly workDir: string;
  readonly plan: RowPlan;
  readonly tunnelMtu: number;
  /** Progress output. */
  readonly say: (line: string) => void;
  /** The tunnel's `network.congestion_control`; the program's default when absent. */
  readonly congestionControl?: string;
}

async function attempt(
  ctx: RowContext,
  id: RowId,
  body: (notes: string[]) => Promise<RowMeasurement>,
): Promise<BenchRow> {
  const label = ROW_LABELS[id];
  ctx.say(`==> ${label}`);
  const notes: string[] = [];
  try {
    const measurement = await body(notes);
    return { id, label, status: "ok", notes, measurement, ratios: null };
  } catch (error) {
    const text = errorMessage(error);
    ctx.say(`    failed: ${text}`);
    notes.push(`failed: ${text.split("\n")[0]!.slice(0, 200)}`);
    return { id, label, status: "failed", notes, measurement: null, ratios: null };
  }
}

export function vethRow(ctx: RowContext): Promise<BenchRow> {
  return attempt(ctx, "veth", () =>
    measureRow(ctx.lab, {
      serverIp: ctx.lab.server.ip,
      clientIp: ctx.lab.client.ip,
      processes: [],
    }, ctx.plan));
}

/** The tunnel process behind a spawned pid (normally that pid itself: each launcher execs). */
export async function tunnelPids(
  ctx: RowContext,
  spawned: { server: number; client: number },
  command: string,
): Promise<TunnelPid[]> {
  const pids: TunnelPid[] = [];
  for (const role of ["server", "client"] as const) {
    const found = await findProcess(spawned[role], command);
    const how = found.pid === spawned[role] ? "the spawned pid" : `below spawned ${spawned[role]}`;
    ctx.say(`    ${role} pid ${found.pid} (${found.comm}, ${how})`);
    pids.push({ role, pid: found.pid, command: found.comm });
  }
  return pids;
}

export function sssonectorRow(ctx: RowContext, offload: boolean): Promise<BenchRow> {
  const id = offload ? "sssonector-offload-on" : "sssonector-offload-off";
  return attempt(ctx, id, async (notes) => {
    const { lab } = ctx;
    const dir = `${ctx.workDir}/${id}`;
    await Deno.mkdir(dir, { recursive: true });
    const configs = await writeLabConfigs(lab, {
      certDir: ctx.certDir,
      dir,
      mtu: ctx.tunnelMtu,
      offload,
      ...(ctx.congestionControl ? { congestionControl: ctx.congestionControl } : {}),
    });
    const device = LAB_INTERFACE;
    const server = TunnelProcess.start(lab, lab.server, configs.serverConfig, configs.serverLog);
    let client: TunnelProcess | undefined;
    try {
      await server.waitForLog(/listening on/);
      client = TunnelProcess.start(lab, lab.client, configs.clientConfig, configs.clientLog);
      await client.waitForLog(/connected to /);
      await waitForPing(lab, lab.client, SSSONECTOR_SERVER_IP, {
        gaveUp: firstExit({ server: server.child.status, client: client.child.status }),
      });

      const vnet = await Promise.all([lab.server, lab.client].map(async (host) => {
        const { stdout } = await lab.try(host, "ip", ["-details", "link", "show", device]);
        const state = parseVnetHdr(stdout);
        return state === undefined ? "unknown" : state ? "on" : "off";
      }));
      const asked = offload ? "on" : "off";
      notes.push(
        `TUN offloads (vnet_hdr) server ${vnet[0]}, client ${vnet[1]}` +
          (vnet.every((state) => state === asked)
            ? ""
            : `, though the configs say network.offload: ${offload}`),
      );
      ctx.say(`    ${notes.at(-1)}`);
      const processes = await tunnelPids(
        ctx,
        { server: server.child.pid, client: client.child.pid },
        TUNNEL_COMM,
      );
      return await measureRow(lab, {
        serverIp: SSSONECTOR_SERVER_IP,
        clientIp: SSSONECTOR_CLIENT_IP,
        processes,
      }, ctx.plan);
    } catch (error) {
      await client?.stop();
      await server.stop();
      const tails = [];
      for (const [role, tunnel] of [["server", server], ["client", client]] as const) {
        if (!tunnel) continue;
        const log = (await tunnel.log()).trimEnd().split("\n").slice(-5).join("\n");
        const stderr = (await tunnel.stderr()).trim().split("\n").slice(-5).join("\n");
        tails.push(`${role} log:\n${log}` + (stderr ? `\n${role} stderr:\n${stderr}` : ""));
      }
      throw new Error([errorMessage(error), ...tails].join("\n"));
    } finally {
      await client?.stop();
      await server.stop();
    }
  });
}

/** A row that could not run because its program is missing. */
function skippedRow(ctx: RowContext, id: RowId, why: string): Promise<BenchRow> {
  const label = ROW_LABELS[id];
  ctx.say(`==> ${label}: skipped: ${why}`);
  return Promise.resolve({
    id,
    label,
    status: "skipped",
    notes: [`skipped: ${why}`],
    measurement: null,
    ratios: null,
  });
}

export function openvpnRow(
  ctx: RowContext,
  availability: OpenVpnAvailability,
  proto: "tcp" | "udp" = "tcp",
): Promise<BenchRow> {
  const id = proto === "tcp" ? "openvpn-tcp" : "openvpn-udp";
  if ("missing" in availability) return skippedRow(ctx, id, availability.missing);
  return attempt(ctx, id, async () => {
    const dir = `${ctx.workDir}/${id}`;
    await Deno.mkdir(dir, { recursive: true });
    return await measureOpenVpn(ctx, dir, proto);
  });
}

/** wireguard-go's row; `version` is wireguardVersion()'s answer (undefined: not installed). */
export function wireguardRow(ctx: RowContext, version: string | undefined): Promise<BenchRow> {
  if (!version) {
    return skippedRow(
      ctx,
      "wireguard-go",
      "wireguard-go or wg is not installed (apt-get install wireguard-go wireguard-tools)",
    );
  }
  return attempt(ctx, "wireguard-go", async () => {
    const dir = `${ctx.workDir}/wireguard-go`;
    await Deno.mkdir(dir, { recursive: true });
    return await measureWireguard(ctx, dir);
  });
}

/** A tunnel of another program, started by the bench: its two processes, its logs, its stop. */
interface PeerTunnel {
  readonly server: Deno.ChildProcess;
  readonly client: Deno.ChildProcess;
  logTails(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Measures a started peer tunnel the way every row is measured, and stops it again, also on
 * failure (whose message then carries both ends' log tails).
 */
async function measurePeerTunnel(
  ctx: RowContext,
  tunnel: PeerTunnel,
  comm: string,
  ips: { serverIp: string; clientIp: string },
): Promise<RowMeasurement> {
  try {
    const processes = await tunnelPids(
      ctx,
      { server: tunnel.server.pid, client: tunnel.client.pid },
      comm,
    );
    return await measureRow(ctx.lab, { ...ips, processes }, ctx.plan);
  } catch (error) {
    throw new Error(`${errorMessage(error)}\n${await tunnel.logTails()}`);
  } finally {
    await tunnel.stop();
  }
}

/** Starts wireguard-go with its keys in `dir`, measures it as every row is, and stops it. */
export async function measureWireguard(ctx: RowContext, dir: string): Promise<RowMeasurement> {
  return measurePeerTunnel(ctx, await WireguardTunnel.start(ctx.lab, dir), "wireguard-go", {
    serverIp: WIREGUARD_SERVER_IP,
    clientIp: WIREGUARD_CLIENT_IP,
  });
}

/** Starts OpenVPN over `proto` with its files in `dir`, measures it, and stops it. */
export async function measureOpenVpn(
  ctx: RowContext,
  dir: string,
  proto: "tcp" | "udp",
): Promise<RowMeasurement> {
  const tunnel = await OpenVpnTunnel.start(ctx.lab, {
    certDir: ctx.certDir,
    dir,
    tunnelMtu: ctx.tunnelMtu,
    proto,
  });
  return measurePeerTunnel(ctx, tunnel, "openvpn", {
    serverIp: OPENVPN_SERVER_IP,
    clientIp: OPENVPN_CLIENT_IP,
  });
}
