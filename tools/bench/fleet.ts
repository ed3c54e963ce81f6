/**
 * `./sssonector bench --fleet [--quick]`: one server with many clients, in a fleet lab
 * (tools/lab/fleet_lab.ts) of 50 client namespaces. Three measurements, each once:
 *
 * 1. memory per idle client: the server's RSS with 1, 10, 25 and 50 idle clients connected, each
 *    read once it has stopped moving, and the least-squares slope in KiB per client;
 * 2. aggregate throughput with 1, 4 and 16 clients pushing at once (iperf3 from each client's
 *    namespace to its own iperf3 server on the server's tunnel address), with the server
 *    process's CPU seconds per gigabit carried;
 * 3. complete tunnel set-ups per second (tools/bench/setup_load.ts: mutual TLS, Hello both ways,
 *    Close) against the real server, and bare TLS handshakes per second against the product's own
 *    listener without sessions (tools/bench/tls_door.ts), from a few hundred certificates;
 * 4. the pool row: the same throughput counts and set-up load against a pool of two servers
 *    (`pool: true`, tools/lab/fleet_pool.ts) with the clients spread half and half across them
 *    (tools/bench/fleet_servers.ts), interleaved: for each client count one server then the
 *    pool, each with fresh servers and only that many clients connected; the pool's set-up load
 *    right after the one server's.
 *
 * Prints tables and writes the same data as JSON to tests/results/. It measures; it never judges.
 *
 * @module
 */

import { errorMessage } from "../../src/base/error_message.ts";
import { eachLimited, FleetLab } from "../lab/fleet_lab.ts";
import { type IperfResult, parseIperfReport } from "../lab/iperf_report.ts";
import { LabError } from "../lab/netns_lab.ts";
import type { TunnelProcess } from "../lab/tunnel_process.ts";
import { clockTicksPerSecond, readProcFile, readProcStat } from "./_proc.ts";
import {
  busyShare,
  cpuSecondsPerGbit,
  iperfRetransmits,
  leastSquares,
  parseCpuTotals,
  settledValue,
} from "./fleet_math.ts";
import {
  type BenchServers,
  serverPid,
  startOneServer,
  startPoolServers,
  tunnelPid,
} from "./fleet_servers.ts";
import { measurePoolSetups, measureSetups } from "./fleet_setups.ts";
import { formatFleetReport } from "./fleet_table.ts";
import { cpuSecondsBetween } from "./proc_stat.ts";
import { machineInfo } from "./machine.ts";
import type { LoadReport } from "./setup_load.ts";
import type { MachineInfo } from "./types.ts";

/** Client counts of the memory series. */
export const MEMORY_COUNTS = [1, 10, 25, 50] as const;
/** Client counts of the throughput series. */
export const THROUGHPUT_COUNTS = [1, 4, 16] as const;
/** Certificates the set-up load cycles through, and connections it keeps in flight. */
export const LOAD_IDENTITIES = 300;
export const LOAD_CONCURRENCY = 128;

export interface FleetBenchOptions {
  /** 3 s transfers and 2 s of load instead of 10 s and 5 s. */
  readonly quick: boolean;
  /** Folder for the JSON file, created when missing. @default "tests/results" */
  readonly resultsDir?: string;
}

/** How long each measurement lasts. */
export interface FleetSettings {
  readonly quick: boolean;
  readonly throughputSeconds: number;
  readonly loadWarmupMs: number;
  readonly loadMs: number;
  readonly loadConcurrency: number;
  readonly loadIdentities: number;
}

/** The server's RSS with a number of idle clients. */
export interface MemoryPoint {
  readonly clients: number;
  readonly rssKiB: number;
  /** False when the RSS was still moving at the end of the wait (the last median is shown). */
  readonly settled: boolean;
}

export interface MemoryResult {
  readonly points: readonly MemoryPoint[];
  /** Least-squares slope over the points, KiB per client. */
  readonly kibPerClient: number;
  /** The line's value at 0 clients, KiB. */
  readonly interceptKiB: number;
}

export interface ThroughputRow {
  readonly clients: number;
  /** Sum of the receivers' rates. */
  readonly aggregateBps: number;
  readonly minClientBps: number;
  readonly maxClientBps: number;
  readonly bytes: number;
  /** CPU seconds (user + system) of the server process over the transfers. */
  readonly serverCpuSeconds: number;
  /** Server CPU over the run, as a share of one core. */
  readonly serverCores: number;
  readonly cpuSecondsPerGbit: number | null;
  /** CPU seconds of the pushing clients' tunnel processes together. */
  readonly clientsCpuSeconds: number;
  /** Share of the whole machine's CPU that was busy (anyone's, ours or not), 0..1. */
  readonly machineBusy: number;
  /** TCP retransmissions the iperf3 senders counted together. */
  readonly retransmits: number;
  /**
   * Mean size of the packets the server received from its clients (its /status.json totals):
   * near 64 KiB while TCP super-packets cross whole, far less when the senders' rate per stream
   * is so low that the kernel sizes them down (then the per-packet cost dominates).
   */
  readonly meanPacketBytes: number | null;
}

export interface SetupRow {
  readonly mode: "tls" | "setup";
  readonly label: string;
  /** Servers the load went to at once: 1, or 2 for the pool. */
  readonly servers: number;
  readonly load: LoadReport;
  /**
   * CPU seconds of the server (or the bare TLS listener, or both servers of the pool together)
   * over the whole load, warm-up included.
   */
  readonly serverCpuSeconds: number;
  /** Server CPU ms per completed connection. */
  readonly serverCpuMsPerConnection: number | null;
  /** Server CPU while the load ran, as a share of one core (1 is all its one JS thread can do). */
  readonly serverCores: number;
}

/** One measurement's outcome: its data, or why it failed. */
export type Outcome<T> = { readonly ok: T } | { readonly failed: string };

export interface FleetReport {
  readonly schema: "sssonector-bench-fleet/2";
  readonly date: string;
  readonly machine: MachineInfo;
  readonly settings: FleetSettings;
  readonly memory: Outcome<MemoryResult>;
  readonly throughput: Outcome<readonly ThroughputRow[]>;
  readonly setups: Outcome<readonly SetupRow[]>;
  /** The throughput series against a pool of two servers, clients spread across both. */
  readonly poolThroughput: Outcome<readonly ThroughputRow[]>;
  /** The set-up load against a pool of two servers at once. */
  readonly poolSetups: Outcome<SetupRow>;
}

/** The measurement plan of a full or a quick run. */
export function fleetSettings(quick: boolean): FleetSettings {
  return {
    quick,
    throughputSeconds: quick ? 3 : 10,
    loadWarmupMs: 1000,
    loadMs: quick ? 2000 : 5000,
    loadConcurrency: LOAD_CONCURRENCY,
    loadIdentities: LOAD_IDENTITIES,
  };
}

function say(line: string): void {
  console.log(line);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one measurement; a failure becomes its outcome instead of ending the run. */
async function attempt<T>(what: string, body: () => Promise<T>): Promise<Outcome<T>> {
  say(`==> ${what}`);
  try {
    return { ok: await body() };
  } catch (error) {
    const text = errorMessage(error);
    say(`    failed: ${text}`);
    return { failed: text.split("\n")[0]!.slice(0, 300) };
  }
}

/** Starts clients from..to (1-based) and waits until every one is up both ways. */
async function startClients(
  lab: FleetLab,
  from: number,
  to: number,
  into: TunnelProcess[],
  servers?: Pick<BenchServers, "serverList" | "target">,
): Promise<void> {
  const fresh: [number, TunnelProcess][] = [];
  for (let index = from; index <= to; index++) {
    const list = servers?.serverList(index);
    const client = await lab.startClient(index, list ? { servers: list } : {});
    into.push(client);
    fresh.push([index, client]);
  }
  const deadline = performance.now() + 120_000;
  await eachLimited(
    fresh,
    8,
    ([index, client]) => lab.waitUntilUp(index, client, deadline, servers?.target(index)),
  );
}

/** The server's RSS once it has stopped moving (6 samples 0.5 s apart within 512 KiB), or 30 s. */
async function settledRss(lab: FleetLab, pid: number): Promise<{ kib: number; settled: boolean }> {
  const samples: number[] = [];
  const deadline = performance.now() + 30_000;
  while (true) {
    samples.push((await lab.processState(pid)).rssKiB);
    const value = settledValue(samples, 6, 512);
    if (value !== undefined) return { kib: value, settled: true };
    if (performance.now() > deadline) {
      return { kib: settledValue(samples, 6, Infinity)!, settled: false };
    }
    await pause(500);
  }
}

async function measureMemory(lab: FleetLab): Promise<MemoryResult> {
  const server = await lab.startServer();
  const clients: TunnelProcess[] = [];
  try {
    const pid = await serverPid(server);
    const points: MemoryPoint[] = [];
    for (const count of MEMORY_COUNTS) {
      await startClients(lab, clients.length + 1, count, clients);
      const { kib, settled } = await settledRss(lab, pid);
      points.push({ clients: count, rssKiB: kib, settled });
      say(`    ${count} idle clients: server RSS ${(kib / 1024).toFixed(1)} MiB`);
    }
    const line = leastSquares(points.map((p) => [p.clients, p.rssKiB]));
    return { points, kibPerClient: line.slope, interceptKiB: line.intercept };
  } finally {
    await Promise.all(clients.map((client) => client.stop(3000)));
    await server.process.stop(3000);
  }
}

/** Waits until the server namespace listens on every address:port (ss), for at most 10 s. */
async function waitForListeners(lab: FleetLab, endpoints: readonly string[]): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (true) {
    const { stdout } = await lab.try(lab.serverNs, "ss", ["-Htln"]);
    if (endpoints.every((endpoint) => stdout.includes(`${endpoint} `))) return;
    if (performance.now() > deadline) {
      throw new LabError(`iperf3 servers not listening: ${endpoints}`);
    }
    await pause(50);
  }
}

/**
 * iperf3 from the first `count` clients at once, each to its own iperf3 server on the tunnel
 * address of the server it is on (`target`); every receiver's result and every sender's
 * retransmissions.
 */
async function parallelIperf(
  lab: FleetLab,
  count: number,
  seconds: number,
  target: (index: number) => string,
): Promise<{ results: IperfResult[]; retransmits: number }> {
  const ports = Array.from({ length: count }, (_, i) => 5201 + i);
  const servers = ports.map((port, i) =>
    lab.spawn(lab.serverNs, "iperf3", ["-s", "-1", "-B", target(i + 1), "-p", String(port)])
  );
  try {
    await waitForListeners(lab, ports.map((port, i) => `${target(i + 1)}:${port}`));
    const outputs = await Promise.all(ports.map((port, i) =>
      lab.try(lab.slot(i + 1).ns, "iperf3", [
        ...["-c", target(i + 1), "-p", String(port), "-t", String(seconds), "-J"],
      ])
    ));
    return {
      results: outputs.map((output) => parseIperfReport(output.stdout)),
      retransmits: outputs.reduce((sum, output) => sum + iperfRetransmits(output.stdout), 0),
    };
  } finally {
    await Promise.all(servers.map((server) => lab.stop(server, 1000)));
  }
}

/** Server CPU seconds (all of the series' servers together) between two moments. */
async function serversCpu(pids: readonly number[]) {
  const before = await Promise.all(pids.map(readProcStat));
  return async (ticks: number) => {
    const after = await Promise.all(pids.map(readProcStat));
    return before.reduce((sum, stat, i) => sum + cpuSecondsBetween(stat, after[i]!, ticks), 0);
  };
}

/**
 * Aggregate throughput of the first `count` clients pushing at once against fresh servers: the
 * lab's one server, or a pool of two (`pool`) with the clients spread across both. Only those
 * clients are connected.
 */
async function throughputAt(
  lab: FleetLab,
  settings: FleetSettings,
  ticks: number,
  count: number,
  pool: boolean,
): Promise<ThroughputRow> {
  const servers = pool
    ? await startPoolServers(lab)
    : await startOneServer(lab, { monitoring: true });
  const clients: TunnelProcess[] = [];
  const totals = servers.totals ?? (() => Promise.resolve(undefined));
  try {
    await startClients(lab, 1, count, clients, servers);
    await servers.checkSpread(count);
    const pushing = await Promise.all(
      clients.map((client) => tunnelPid(client.child.pid)),
    );
    const machine = async () => parseCpuTotals(await readProcFile("/proc/stat"));
    const serverCpu = await serversCpu(servers.pids);
    const clientsBefore = await Promise.all(pushing.map(readProcStat));
    const machineBefore = await machine();
    const totalsBefore = await totals();
    const startedAt = performance.now();
    const { results, retransmits } = await parallelIperf(
      lab,
      count,
      settings.throughputSeconds,
      (index) => servers.target(index),
    );
    const wallSeconds = (performance.now() - startedAt) / 1000;
    const machineBusy = busyShare(machineBefore, await machine());
    const totalsAfter = await totals();
    const packets = totalsAfter && totalsBefore
      ? totalsAfter.packetsIn - totalsBefore.packetsIn
      : 0;
    const cpu = await serverCpu(ticks);
    const clientsAfter = await Promise.all(pushing.map(readProcStat));
    const clientsCpu = clientsBefore.reduce(
      (sum, stat, i) => sum + cpuSecondsBetween(stat, clientsAfter[i]!, ticks),
      0,
    );
    const bytes = results.reduce((sum, r) => sum + r.bytes, 0);
    const rates = results.map((r) => r.bitsPerSecond);
    const row: ThroughputRow = {
      clients: count,
      aggregateBps: rates.reduce((sum, rate) => sum + rate, 0),
      minClientBps: Math.min(...rates),
      maxClientBps: Math.max(...rates),
      bytes,
      serverCpuSeconds: cpu,
      serverCores: cpu / wallSeconds,
      cpuSecondsPerGbit: cpuSecondsPerGbit(cpu, bytes) ?? null,
      clientsCpuSeconds: clientsCpu,
      machineBusy,
      retransmits,
      meanPacketBytes: totalsAfter && totalsBefore && packets > 0
        ? (totalsAfter.bytesIn - totalsBefore.bytesIn) / packets
        : null,
    };
    say(
      `    ${count} client(s)${pool ? " on the pool of two" : " on one server"}: ` +
        `${(row.aggregateBps / 1e9).toFixed(2)} Gbit/s together, ` +
        `server CPU ${cpu.toFixed(1)} s`,
    );
    return row;
  } finally {
    await Promise.all(clients.map((client) => client.stop(3000)));
    await servers.stop();
  }
}

/**
 * The throughput series, one server and the pool interleaved: for each client count, one
 * server, then the pool, so that both see the same state of a noisy machine. A series that
 * fails stops; the other goes on.
 */
async function measureThroughput(
  lab: FleetLab,
  settings: FleetSettings,
  ticks: number,
): Promise<{ one: Outcome<ThroughputRow[]>; pool: Outcome<ThroughputRow[]> }> {
  const rows = { one: [] as ThroughputRow[], pool: [] as ThroughputRow[] };
  const failed: { one?: string; pool?: string } = {};
  for (const count of THROUGHPUT_COUNTS) {
    for (const series of ["one", "pool"] as const) {
      if (failed[series] !== undefined) continue;
      try {
        rows[series].push(await throughputAt(lab, settings, ticks, count, series === "pool"));
      } catch (error) {
        const text = errorMessage(error);
        say(`    failed (${series === "pool" ? "pool" : "one server"}): ${text}`);
        failed[series] = `${count} clients: ${text.split("\n")[0]!.slice(0, 300)}`;
      }
    }
  }
  const outcome = (series: "one" | "pool"): Outcome<ThroughputRow[]> =>
    failed[series] === undefined ? { ok: rows[series] } : { failed: failed[series]! };
  return { one: outcome("one"), pool: outcome("pool") };
}

/** Runs the fleet benchmark; 0 when every measurement was made, else 1. */
export async function runFleetBench(options: FleetBenchOptions): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error(
      "sssonector: the benchmark needs root for TUN devices and network namespaces; " +
        "run: sudo ./sssonector bench --fleet",
    );
    return 1;
  }
  const settings = fleetSettings(options.quick);
  const started = new Date();
  try {
    const machine = await machineInfo(null);
    const ticks = await clockTicksPerSecond();
    say(`==> fleet lab: ${Math.max(...MEMORY_COUNTS)} client namespaces`);
    await using lab = await FleetLab.create({
      clients: Math.max(...MEMORY_COUNTS, ...THROUGHPUT_COUNTS),
      // /16: the load generator's identities take addresses after the clients'.
      tunnelPrefix: 16,
    });
    const memory = await attempt("memory per idle client", () => measureMemory(lab));
    say(
      `==> throughput with ${THROUGHPUT_COUNTS.join(", ")} clients at once, one server and ` +
        "a pool of two in turn",
    );
    const { one: throughput, pool: poolThroughput } = await measureThroughput(
      lab,
      settings,
      ticks,
    );
    const setups = await attempt(
      `set-ups per second, ${settings.loadConcurrency} at once from ${settings.loadIdentities} ` +
        "certificates",
      () => measureSetups(lab, settings, ticks),
    );
    const poolSetups = await attempt(
      "set-ups per second, pool of two servers",
      () => measurePoolSetups(lab, settings, ticks),
    );
    const report: FleetReport = {
      schema: "sssonector-bench-fleet/2",
      date: started.toISOString(),
      machine,
      settings,
      memory,
      throughput,
      setups,
      poolThroughput,
      poolSetups,
    };
    say("");
    say(formatFleetReport(report));
    const resultsDir = options.resultsDir ?? "tests/results";
    await Deno.mkdir(resultsDir, { recursive: true });
    const stamp = started.toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
    const resultPath = `${await Deno.realPath(resultsDir)}/bench-fleet-${stamp}.json`;
    await Deno.writeTextFile(resultPath, JSON.stringify(report, null, 2) + "\n");
    say(`results: ${resultPath}`);
    return [memory, throughput, setups, poolThroughput, poolSetups].every((outcome) =>
        "ok" in outcome
      )
      ? 0
      : 1;
  } catch (error) {
    console.error(`sssonector: bench --fleet failed: ${errorMessage(error)}`);
    return 1;
  }
}
