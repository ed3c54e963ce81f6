/**
 * The servers a `bench --fleet` series runs against: the lab's one server, or a pool of two
 * (tools/lab/fleet_pool.ts) with the clients spread across them. Either way the series sees the
 * servers' tunnel-process pids (for CPU), where client i sends its traffic, which `server:` list
 * client i gets, and a check that the clients landed where they were meant to.
 *
 * @module
 */

import { type FleetLab, type FleetServer, type FleetServerOptions } from "../lab/fleet_lab.ts";
import { FLEET_SERVER_TUNNEL } from "../lab/fleet_plan.ts";
import { startPool, stopPool } from "../lab/fleet_pool.ts";
import {
  POOL_PEER_INTERFACE,
  poolServerList,
  poolSpread,
  poolTargetTunnelIp,
} from "../lab/fleet_pool_plan.ts";
import { LAB_INTERFACE } from "../lab/lab_configs.ts";
import { LabError } from "../lab/netns_lab.ts";
import { findProcess, TUNNEL_COMM } from "./_proc.ts";

/** Bytes and packets the server received from its clients (its /status.json totals). */
export interface ServerTotals {
  readonly bytesIn: number;
  readonly packetsIn: number;
}

/** Running servers of one series. */
export interface BenchServers {
  /** The tunnel processes' pids. */
  readonly pids: readonly number[];
  /** The tunnel address client `index` sends its traffic to. */
  target(index: number): string;
  /** Client `index`'s `server:` list; undefined for the lab's one server. */
  serverList(index: number): readonly string[] | undefined;
  /** The one server's /status.json totals; undefined for a pool (no monitoring there). */
  readonly totals: (() => Promise<ServerTotals>) | undefined;
  /** Throws when the first `count` clients are not on the servers they prefer. */
  checkSpread(count: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The tunnel process behind a pid the lab spawned: named TUNNEL_COMM when the checkout launcher
 * started it (it execs Deno under a link of that name), "deno" when selfCommand() ran Deno itself.
 */
export async function tunnelPid(pid: number): Promise<number> {
  try {
    return (await findProcess(pid, TUNNEL_COMM)).pid;
  } catch {
    return (await findProcess(pid, "deno")).pid;
  }
}

/** The tunnel process behind a server the lab started. */
export function serverPid(server: FleetServer): Promise<number> {
  return tunnelPid(server.pid);
}

/** The lab's one server (not in a pool). */
export async function startOneServer(
  lab: FleetLab,
  options: FleetServerOptions = {},
): Promise<BenchServers> {
  const server = await lab.startServer(options);
  try {
    return {
      pids: [await serverPid(server)],
      target: () => FLEET_SERVER_TUNNEL,
      serverList: () => undefined,
      totals: options.monitoring
        ? async () =>
          (JSON.parse(await lab.monitor("/status.json")) as { totals: ServerTotals }).totals
        : undefined,
      checkSpread: () => Promise.resolve(),
      stop: () => server.process.stop(3000).then(() => {}),
    };
  } catch (error) {
    await server.process.stop(3000);
    throw error;
  }
}

/** Host routes of protocol 83 (a pool server's clients) on a TUN of the server namespace. */
async function poolHostRoutes(lab: FleetLab, device: string): Promise<number> {
  const text = await lab.exec(lab.serverNs, "ip", [
    "-j",
    "route",
    "show",
    "proto",
    "83",
    "dev",
    device,
  ]);
  return (JSON.parse(text || "[]") as unknown[]).length;
}

/** A pool of two servers: odd clients prefer a, even clients b. */
export async function startPoolServers(
  lab: FleetLab,
  options: Omit<FleetServerOptions, "monitoring"> = {},
): Promise<BenchServers> {
  const pool = await startPool(lab, options);
  try {
    return {
      pids: await Promise.all([serverPid(pool.a), serverPid(pool.b)]),
      target: (index) => poolTargetTunnelIp(index, lab.tunnelPrefix),
      serverList: poolServerList,
      totals: undefined,
      checkSpread: async (count) => {
        const want = poolSpread(count);
        const have = {
          a: await poolHostRoutes(lab, LAB_INTERFACE),
          b: await poolHostRoutes(lab, POOL_PEER_INTERFACE),
        };
        if (have.a !== want.a || have.b !== want.b) {
          throw new LabError(
            `the pool's clients are not spread as planned: a holds ${have.a} and b ${have.b}, ` +
              `not ${want.a} and ${want.b}`,
          );
        }
      },
      stop: () => stopPool(pool),
    };
  } catch (error) {
    await stopPool(pool);
    throw error;
  }
}
