/** The shape of one benchmark run, as printed and as written to tests/results/bench-*.json. */
import type { LatencySummary } from "./percentile.ts";
import type { MemorySample } from "./proc_stat.ts";

/** The rows, in the order they are measured and printed. */
export type RowId =
  | "veth"
  | "sssonector-offload-on"
  | "sssonector-offload-off"
  | "openvpn-tcp"
  | "openvpn-udp"
  | "wireguard-go";

/** Ping round trips of one series (idle or under load). */
export interface RttResult extends LatencySummary {
  readonly sent: number;
  readonly received: number;
  /** Every reply's round trip in ms, in order. */
  readonly samplesMs: readonly number[];
}

/** A flood ping's outcome (`ping -f`): requests sent back to back, each after the last reply. */
export interface FloodPingResult {
  readonly sent: number;
  readonly received: number;
  /** Mean round trip, ms; NaN when no reply came. */
  readonly avgMs: number;
}

/** CPU and memory of one tunnel process over a row. */
export interface ProcessUsage {
  readonly role: "server" | "client";
  readonly pid: number;
  /** The process name in /proc (`deno`, `openvpn`). */
  readonly command: string;
  /** User + system CPU seconds over both throughput runs. */
  readonly cpuSeconds: number;
  /** Peak resident set (VmHWM) at the end of the row, KiB. */
  readonly peakRssKiB: number;
  /** RSS, PSS and private memory after the idle pings, before any transfer. */
  readonly idle: MemorySample;
  /** The same halfway through the client-to-server transfer. */
  readonly loaded: MemorySample;
}

export interface RowMeasurement {
  /** Length of each throughput run, seconds. */
  readonly seconds: number;
  /** Bits per second received, one TCP stream, client to server. */
  readonly clientToServerBps: number;
  /** Bits per second received, one TCP stream, server to client. */
  readonly serverToClientBps: number;
  /** Bytes received in both transfers together. */
  readonly bytes: number;
  readonly rttIdle: RttResult;
  /** Pings from client to server while the client-to-server transfer runs. */
  readonly rttLoaded: RttResult;
  /** A flood ping from client to server before the transfers; null when the plan has none. */
  readonly floodPing?: FloodPingResult | null;
  /** The tunnel's processes; empty for the plain veth row. */
  readonly processes: readonly ProcessUsage[];
  /** Server + client CPU seconds over both throughput runs; null without tunnel processes. */
  readonly cpuSeconds: number | null;
  /** `cpuSeconds` per 10^9 bytes carried in both directions; null without tunnel processes. */
  readonly cpuSecondsPerGB: number | null;
}

/** A row against the baseline row: throughput x-times, round trips relative. */
export interface RowRatios {
  readonly clientToServer: number | null;
  readonly serverToClient: number | null;
  readonly rttIdleMedian: number | null;
  readonly rttLoadedMedian: number | null;
}

export interface BenchRow {
  readonly id: RowId;
  readonly label: string;
  readonly status: "ok" | "skipped" | "failed";
  /** Why the row was skipped or failed, and remarks such as the TUN offload state. */
  readonly notes: readonly string[];
  readonly measurement: RowMeasurement | null;
  /** Against the baseline row; null when this row or the baseline was not measured. */
  readonly ratios: RowRatios | null;
}

/** min, median and max of one ratio over the rounds. */
export interface RatioRange {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/** How a row's ratios against the baseline varied from round to round. */
export interface RowSpread {
  readonly id: RowId;
  /** Rounds in which the row was measured. */
  readonly rounds: number;
  readonly clientToServer: RatioRange | null;
  readonly serverToClient: RatioRange | null;
  readonly rttIdleMedian: RatioRange | null;
  readonly rttLoadedMedian: RatioRange | null;
}

export interface MachineInfo {
  readonly nproc: number;
  readonly kernel: string;
  readonly cpuModel: string | null;
  /** /proc/loadavg's first three fields when the run started. */
  readonly loadAverage: string | null;
  readonly deno: string;
  readonly sssonector: string;
  readonly openvpn: string | null;
}

export interface BenchSettings {
  readonly quick: boolean;
  /** Times every row is measured, interleaved: round 1 all rows, then round 2, ... */
  readonly rounds: number;
  readonly throughputSeconds: number;
  readonly pingCount: number;
  readonly pingIntervalMs: number;
  /** Requests of the flood ping (`ping -f`) after the idle pings; 0 for none. */
  readonly floodPingCount: number;
  /** How long after the transfer starts the loaded pings begin. */
  readonly loadedPingDelayMs: number;
  readonly tunnelMtu: number;
}

export interface BenchReport {
  readonly schema: "sssonector-bench/2";
  /** ISO 8601, UTC. */
  readonly date: string;
  readonly machine: MachineInfo;
  readonly settings: BenchSettings;
  /** The row the ratios compare against. */
  readonly baseline: RowId;
  /**
   * One row per id over all rounds: median throughput and CPU, pings of every round pooled, the
   * highest peak RSS, and the median of the per-round ratios.
   */
  readonly rows: readonly BenchRow[];
  /** The range of each row's per-round ratios. */
  readonly spread: readonly RowSpread[];
  /** Every round's rows, ratios against that round's baseline. */
  readonly rounds: readonly (readonly BenchRow[])[];
}
