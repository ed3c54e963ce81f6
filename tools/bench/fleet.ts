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
 *    listener without sessions (tools/bench/tls_door.ts), from a few hundred certificates.
 *
 * Prints tables and writes the same data as JSON to tests/results/. It measures; it never judges.
 *
 * @module
 */

import { errorMessage } from "../../src/base/error_message.ts";
import { eachLimited, FleetLab, type FleetServer } from "../lab/fleet_lab.ts";
import { FLEET_PORT } from "../lab/fleet_configs.ts";
import { FLEET_SERVER_TUNNEL, FLEET_SERVER_UNDERLAY } from "../lab/fleet_plan.ts";
import { type IperfResult, parseIperfReport } from "../lab/iperf_report.ts";
import { LabError } from "../lab/netns_lab.ts";
import type { TunnelProcess } from "../lab/tunnel_process.ts";
import {
  clockTicksPerSecond,
  findProcess,
  readProcFile,
  readProcStat,
  TUNNEL_COMM,
} from "./_proc.ts";
import {
  busyShare,
  cpuSecondsPerGbit,
  iperfRetransmits,
  leastSquares,
  parseCpuTotals,
  settledValue,
} from "./fleet_math.ts";
import { formatFleetReport } from "./fleet_table.ts";
import { cpuSecondsBetween } from "./proc_stat.ts";
import { machineInfo } from "./machine.ts";
import type { LoadPlan, LoadReport } from "./setup_load.ts";
import type { MachineInfo } from "./types.ts";

const SETUP_LOAD = new URL("./setup_load.ts", import.meta.url).pathname;
const TLS_DOOR = new URL("./tls_door.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;

/** Client counts of the memory series. */
export const MEMORY_COUNTS = [1, 10, 25, 50] as const;
/** Client counts of the throughput series. */
export const THROUGHPUT_COUNTS = [1, 4, 16] as const;
/** Certificates the set-up load cycles through, and connections it keeps in flight. */
export const LOAD_IDENTITIES = 300;
export const LOAD_CONCURRENCY = 128;
/**
 * The set-up bench server's pending caps: far above LOAD_CONCURRENCY, so that they never refuse
 * the load (the defaults, 512 and 8 per source, would hold one source to 8 handshakes at once).
 */
export const SETUP_SERVER_SECURITY = {
  max_pending_connections: 1024,
  max_pending_per_source: 1024,
  max_pending_per_network4: 1024,
} as const;

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
  /** The `security:` keys of the set-up bench's server. */
  readonly setupServerSecurity: Readonly<Record<string, number>>;
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
  readonly load: LoadReport;
  /** CPU seconds of the server (or the bare TLS listener) over the whole load, warm-up included. */
  readonly serverCpuSeconds: number;
  /** Server CPU ms per completed connection. */
  readonly serverCpuMsPerConnection: number | null;
  /** Server CPU while the load ran, as a share of one core (1 is all its one JS thread can do). */
  readonly serverCores: number;
}

/** One measurement's outcome: its data, or why it failed. */
export type Outcome<T> = { readonly ok: T } | { readonly failed: string };

export interface FleetReport {
  readonly schema: "sssonector-bench-fleet/1";
  readonly date: string;
  readonly machine: MachineInfo;
  readonly settings: FleetSettings;
  readonly memory: Outcome<MemoryResult>;
  readonly throughput: Outcome<readonly ThroughputRow[]>;
  readonly setups: Outcome<readonly SetupRow[]>;
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
    setupServerSecurity: SETUP_SERVER_SECURITY,
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

/** The tunnel process behind a server the lab started. */
async function serverPid(server: FleetServer): Promise<number> {
  return (await findProcess(server.pid, TUNNEL_COMM)).pid;
}

/** Starts clients from..to (1-based) and waits until every one is up both ways. */
async function startClients(
  lab: FleetLab,
  from: number,
  to: number,
  into: TunnelProcess[],
): Promise<void> {
  const fresh: [number, TunnelProcess][] = [];
  for (let index = from; index <= to; index++) {
    const client = await lab.startClient(index);
    into.push(client);
    fresh.push([index, client]);
  }
  const deadline = performance.now() + 120_000;
  await eachLimited(fresh, 8, ([index, client]) => lab.waitUntilUp(index, client, deadline));
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

/** Waits until the server namespace listens on every port (ss), for at most 10 s. */
async function waitForListeners(lab: FleetLab, ports: readonly number[]): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (true) {
    const { stdout } = await lab.try(lab.serverNs, "ss", ["-Htln"]);
    if (ports.every((port) => stdout.includes(`${FLEET_SERVER_TUNNEL}:${port} `))) return;
    if (performance.now() > deadline) throw new LabError(`iperf3 servers not listening: ${ports}`);
    await pause(50);
  }
}

/**
 * iperf3 from the first `count` clients at once, each to its own server on the tunnel address;
 * every receiver's result and every sender's retransmissions.
 */
async function parallelIperf(
  lab: FleetLab,
  count: number,
  seconds: number,
): Promise<{ results: IperfResult[]; retransmits: number }> {
  const ports = Array.from({ length: count }, (_, i) => 5201 + i);
  const servers = ports.map((port) =>
    lab.spawn(lab.serverNs, "iperf3", ["-s", "-1", "-B", FLEET_SERVER_TUNNEL, "-p", String(port)])
  );
  try {
    await waitForListeners(lab, ports);
    const outputs = await Promise.all(ports.map((port, i) =>
      lab.try(lab.slot(i + 1).ns, "iperf3", [
        ...["-c", FLEET_SERVER_TUNNEL, "-p", String(port), "-t", String(seconds), "-J"],
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

async function measureThroughput(
  lab: FleetLab,
  settings: FleetSettings,
  ticks: number,
): Promise<ThroughputRow[]> {
  const server = await lab.startServer({ monitoring: true });
  const clients: TunnelProcess[] = [];
  const totals = async () =>
    (JSON.parse(await lab.monitor("/status.json")) as {
      totals: { bytesIn: number; packetsIn: number };
    }).totals;
  try {
    const pid = await serverPid(server);
    await startClients(lab, 1, Math.max(...THROUGHPUT_COUNTS), clients);
    const clientPids = await Promise.all(
      clients.map(async (client) => (await findProcess(client.child.pid, TUNNEL_COMM)).pid),
    );
    const machine = async () => parseCpuTotals(await readProcFile("/proc/stat"));
    const rows: ThroughputRow[] = [];
    for (const count of THROUGHPUT_COUNTS) {
      const pushing = clientPids.slice(0, count);
      const before = await readProcStat(pid);
      const clientsBefore = await Promise.all(pushing.map(readProcStat));
      const machineBefore = await machine();
      const totalsBefore = await totals();
      const startedAt = performance.now();
      const { results, retransmits } = await parallelIperf(lab, count, settings.throughputSeconds);
      const wallSeconds = (performance.now() - startedAt) / 1000;
      const machineBusy = busyShare(machineBefore, await machine());
      const totalsAfter = await totals();
      const packets = totalsAfter.packetsIn - totalsBefore.packetsIn;
      const cpu = cpuSecondsBetween(before, await readProcStat(pid), ticks);
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
        meanPacketBytes: packets > 0
          ? (totalsAfter.bytesIn - totalsBefore.bytesIn) / packets
          : null,
      };
      rows.push(row);
      say(
        `    ${count} client(s): ${(row.aggregateBps / 1e9).toFixed(2)} Gbit/s together, ` +
          `server CPU ${cpu.toFixed(1)} s`,
      );
    }
    return rows;
  } finally {
    await Promise.all(clients.map((client) => client.stop(3000)));
    await server.process.stop(3000);
  }
}

/** Runs the load generator in client 1's namespace to completion; returns its report. */
async function runLoadGenerator(lab: FleetLab, plan: LoadPlan): Promise<LoadReport> {
  const planFile = `${lab.dir}/load-${plan.mode}.json`;
  await Deno.writeTextFile(planFile, JSON.stringify(plan));
  const child = lab.spawn(
    lab.slot(1).ns,
    Deno.execPath(),
    ["run", "-A", "--quiet", "--frozen", "--config", DENO_JSON, SETUP_LOAD, planFile],
    { stdout: "piped", stderr: "piped" },
  );
  const output = await child.output();
  const text = new TextDecoder().decode(output.stdout).trim();
  if (output.code !== 0 || !text.startsWith("{")) {
    throw new LabError(
      `the load generator failed (exit ${output.code}): ` +
        new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" "),
    );
  }
  return JSON.parse(text.split("\n").at(-1)!) as LoadReport;
}

/** Starts the bare-TLS listener in the server namespace and waits for its ready line. */
async function startTlsDoor(lab: FleetLab): Promise<Deno.ChildProcess> {
  const door = lab.spawn(lab.serverNs, Deno.execPath(), [
    ...["run", "-A", "--quiet", "--frozen", "--config", DENO_JSON, TLS_DOOR],
    ...[FLEET_SERVER_UNDERLAY, String(FLEET_PORT)],
    ...["server.crt", "server.key", "ca.crt"].map((file) => `${lab.certDir}/${file}`),
  ], { stdout: "piped" });
  const reader = door.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await Promise.race([
    reader.read(),
    pause(30_000).then(() => ({ done: true, value: undefined })),
  ]);
  if (first.done || !first.value?.includes("listening")) {
    await lab.stop(door, 1000);
    throw new LabError("the bare-TLS listener did not start");
  }
  // Keep its pipe drained; it prints nothing more.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return door;
}

async function measureSetups(
  lab: FleetLab,
  settings: FleetSettings,
  ticks: number,
): Promise<SetupRow[]> {
  const identities = await lab.issueIdentities(settings.loadIdentities);
  const plan = (mode: LoadPlan["mode"]): LoadPlan => ({
    mode,
    host: FLEET_SERVER_UNDERLAY,
    port: FLEET_PORT,
    caFile: `${lab.certDir}/ca.crt`,
    identities: identities.map((id) => ({
      certFile: id.certFile,
      keyFile: id.keyFile,
      address: `${id.tunnelIp}/${lab.tunnelPrefix}`,
    })),
    concurrency: settings.loadConcurrency,
    warmupMs: settings.loadWarmupMs,
    durationMs: settings.loadMs,
  });
  const row = async (mode: LoadPlan["mode"], label: string, pid: number): Promise<SetupRow> => {
    const before = await readProcStat(pid);
    const load = await runLoadGenerator(lab, plan(mode));
    const cpu = cpuSecondsBetween(before, await readProcStat(pid), ticks);
    say(
      `    ${label}: ${load.perSecond.toFixed(0)}/s (${load.completed} in ` +
        `${load.seconds.toFixed(1)} s, ${load.failed} failed)`,
    );
    return {
      mode,
      label,
      load,
      serverCpuSeconds: cpu,
      serverCpuMsPerConnection: load.totalCompleted > 0 ? (cpu * 1000) / load.totalCompleted : null,
      // Over the load's warm-up and counted part (the generator's own start-up costs the server
      // nothing).
      serverCores: cpu / (settings.loadWarmupMs / 1000 + load.seconds),
    };
  };
  const rows: SetupRow[] = [];
  const door = await startTlsDoor(lab);
  try {
    rows.push(await row("tls", "bare TLS handshakes (listener only)", door.pid));
  } finally {
    await lab.stop(door, 2000);
  }
  const server = await lab.startServer({ security: SETUP_SERVER_SECURITY });
  try {
    rows.push(await row("setup", "tunnel set-ups (TLS + Hello + Close)", await serverPid(server)));
  } finally {
    await server.process.stop(3000);
  }
  return rows;
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
    const throughput = await attempt(
      `throughput with ${THROUGHPUT_COUNTS.join(", ")} clients at once`,
      () => measureThroughput(lab, settings, ticks),
    );
    const setups = await attempt(
      `set-ups per second, ${settings.loadConcurrency} at once from ${settings.loadIdentities} ` +
        "certificates",
      () => measureSetups(lab, settings, ticks),
    );
    const report: FleetReport = {
      schema: "sssonector-bench-fleet/1",
      date: started.toISOString(),
      machine,
      settings,
      memory,
      throughput,
      setups,
    };
    say("");
    say(formatFleetReport(report));
    const resultsDir = options.resultsDir ?? "tests/results";
    await Deno.mkdir(resultsDir, { recursive: true });
    const stamp = started.toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
    const resultPath = `${await Deno.realPath(resultsDir)}/bench-fleet-${stamp}.json`;
    await Deno.writeTextFile(resultPath, JSON.stringify(report, null, 2) + "\n");
    say(`results: ${resultPath}`);
    return [memory, throughput, setups].every((outcome) => "ok" in outcome) ? 0 : 1;
  } catch (error) {
    console.error(`sssonector: bench --fleet failed: ${errorMessage(error)}`);
    return 1;
  }
}
