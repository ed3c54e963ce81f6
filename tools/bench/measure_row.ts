/**
 * Measures one row through the lab, the same way for every kind of link: idle round trips,
 * throughput both ways with round trips under load during the first transfer, and the CPU time
 * and peak memory of the tunnel's processes over the two transfers.
 */
import type { NetnsLab } from "../lab/netns_lab.ts";
import { measureFloodPing, measurePing, type PingStats } from "../lab/ping.ts";
import { runIperf } from "../lab/iperf.ts";
import { readMemory, readPeakRssKiB, readProcStat } from "./_proc.ts";
import { summarizeLatency } from "./percentile.ts";
import { cpuSecondsBetween } from "./proc_stat.ts";
import { cpuSecondsPerGB } from "./ratio.ts";
import type { ProcessUsage, RowMeasurement, RttResult } from "./types.ts";

export interface TunnelPid {
  readonly role: "server" | "client";
  readonly pid: number;
  readonly command: string;
}

export interface RowTarget {
  /** The server's address on this link (its tunnel address, or the veth address). */
  readonly serverIp: string;
  readonly clientIp: string;
  /** Processes whose CPU and memory are measured; empty for the plain veth row. */
  readonly processes: readonly TunnelPid[];
}

export interface RowPlan {
  /** Length of each throughput run. */
  readonly seconds: number;
  readonly pingCount: number;
  readonly pingIntervalMs: number;
  /** Requests of a flood ping after the idle pings; none when 0 or absent. */
  readonly floodPingCount?: number;
  /** Delay from the start of the client-to-server transfer to the first loaded ping. */
  readonly loadedPingDelayMs: number;
  readonly ticksPerSecond: number;
}

function rttResult(stats: PingStats): RttResult {
  return {
    ...summarizeLatency(stats.samplesMs),
    sent: stats.sent,
    received: stats.received,
    samplesMs: stats.samplesMs,
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureRow(
  lab: NetnsLab,
  target: RowTarget,
  plan: RowPlan,
): Promise<RowMeasurement> {
  const ping = () =>
    measurePing(lab, lab.client, target.serverIp, plan.pingCount, plan.pingIntervalMs / 1000);
  const rttIdle = rttResult(await ping());
  const floodPing = plan.floodPingCount
    ? await measureFloodPing(lab, lab.client, target.serverIp, plan.floodPingCount)
    : null;

  const before = await Promise.all(target.processes.map((p) => readProcStat(p.pid)));
  const idleMemory = await Promise.all(target.processes.map((p) => readMemory(p.pid)));
  const [upload, loaded, loadedMemory] = await Promise.all([
    runIperf(lab, {
      from: lab.client,
      to: lab.server,
      toIp: target.serverIp,
      seconds: plan.seconds,
    }),
    new Promise((resolve) => setTimeout(resolve, plan.loadedPingDelayMs)).then(ping),
    pause(plan.seconds * 500).then(() =>
      Promise.all(target.processes.map((p) => readMemory(p.pid)))
    ),
  ]);
  const download = await runIperf(lab, {
    from: lab.server,
    to: lab.client,
    toIp: target.clientIp,
    seconds: plan.seconds,
  });
  const after = await Promise.all(target.processes.map((p) => readProcStat(p.pid)));

  const processes: ProcessUsage[] = [];
  for (const [i, p] of target.processes.entries()) {
    processes.push({
      ...p,
      cpuSeconds: cpuSecondsBetween(before[i]!, after[i]!, plan.ticksPerSecond),
      peakRssKiB: await readPeakRssKiB(p.pid),
      idle: idleMemory[i]!,
      loaded: loadedMemory[i]!,
    });
  }
  const bytes = upload.bytes + download.bytes;
  const cpuSeconds = processes.length > 0
    ? processes.reduce((sum, p) => sum + p.cpuSeconds, 0)
    : null;
  return {
    seconds: plan.seconds,
    clientToServerBps: upload.bitsPerSecond,
    serverToClientBps: download.bitsPerSecond,
    bytes,
    rttIdle,
    rttLoaded: rttResult(loaded),
    floodPing: floodPing &&
      { sent: floodPing.sent, received: floodPing.received, avgMs: floodPing.avgMs },
    processes,
    cpuSeconds,
    cpuSecondsPerGB: cpuSeconds === null ? null : cpuSecondsPerGB(cpuSeconds, bytes) ?? null,
  };
}
