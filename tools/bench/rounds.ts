/**
 * Several rounds of the same rows, one summary: this machine's figures drift by a third from run
 * to run, so a claim rests on rounds measured interleaved (every row once per round) and on the
 * spread of each ratio, not on one lucky or unlucky run. Pure: no I/O.
 */
import { percentile, summarizeLatency } from "./percentile.ts";
import type { MemorySample } from "./proc_stat.ts";
import { withRatios } from "./ratio.ts";
import type {
  BenchRow,
  FloodPingResult,
  ProcessUsage,
  RatioRange,
  RowId,
  RowMeasurement,
  RowRatios,
  RowSpread,
  RttResult,
} from "./types.ts";

function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** min, median and max of the finite values; null when there are none. */
export function rangeOf(values: readonly (number | null | undefined)[]): RatioRange | null {
  const finite = values.filter((value): value is number =>
    value !== null && value !== undefined && Number.isFinite(value)
  );
  if (finite.length === 0) return null;
  return { min: Math.min(...finite), median: median(finite), max: Math.max(...finite) };
}

/** Every round's pings together: the median and p99 of all replies. */
function pooledRtt(results: readonly RttResult[]): RttResult {
  const samplesMs = results.flatMap((result) => result.samplesMs);
  return {
    ...summarizeLatency(samplesMs),
    sent: results.reduce((sum, result) => sum + result.sent, 0),
    received: results.reduce((sum, result) => sum + result.received, 0),
    samplesMs,
  };
}

/** Requests and replies summed over the rounds, the median of the rounds' averages. */
function combinedFloodPing(results: readonly (FloodPingResult | null)[]): FloodPingResult | null {
  const present = results.filter((result): result is FloodPingResult => result !== null);
  if (present.length === 0) return null;
  const averages = present.map((result) => result.avgMs).filter(Number.isFinite);
  return {
    sent: present.reduce((sum, result) => sum + result.sent, 0),
    received: present.reduce((sum, result) => sum + result.received, 0),
    avgMs: averages.length > 0 ? median(averages) : NaN,
  };
}

/** Each figure's median over the rounds. */
function medianMemory(samples: readonly MemorySample[]): MemorySample {
  return {
    rssKiB: median(samples.map((sample) => sample.rssKiB)),
    pssKiB: median(samples.map((sample) => sample.pssKiB)),
    privateKiB: median(samples.map((sample) => sample.privateKiB)),
  };
}

/**
 * Per role: median CPU seconds, the highest peak RSS of any round (a peak is a peak), and the
 * median of each idle and loaded memory figure.
 */
function combinedProcesses(measurements: readonly RowMeasurement[]): ProcessUsage[] {
  const roles = ["server", "client"] as const;
  return roles.flatMap((role) => {
    const usages = measurements.flatMap((m) => m.processes.filter((p) => p.role === role));
    const last = usages.at(-1);
    if (!last) return [];
    return [{
      ...last,
      cpuSeconds: median(usages.map((usage) => usage.cpuSeconds)),
      peakRssKiB: Math.max(...usages.map((usage) => usage.peakRssKiB)),
      idle: medianMemory(usages.map((usage) => usage.idle)),
      loaded: medianMemory(usages.map((usage) => usage.loaded)),
    }];
  });
}

function medianOrNull(values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : median(present);
}

/** One measurement standing for several: medians of rates and CPU, pooled pings, peak memory. */
export function combineMeasurements(measurements: readonly RowMeasurement[]): RowMeasurement {
  const first = measurements[0];
  if (!first) throw new RangeError("combineMeasurements needs at least one measurement");
  return {
    seconds: first.seconds,
    clientToServerBps: median(measurements.map((m) => m.clientToServerBps)),
    serverToClientBps: median(measurements.map((m) => m.serverToClientBps)),
    bytes: median(measurements.map((m) => m.bytes)),
    rttIdle: pooledRtt(measurements.map((m) => m.rttIdle)),
    rttLoaded: pooledRtt(measurements.map((m) => m.rttLoaded)),
    floodPing: combinedFloodPing(measurements.map((m) => m.floodPing ?? null)),
    processes: combinedProcesses(measurements),
    cpuSeconds: medianOrNull(measurements.map((m) => m.cpuSeconds)),
    cpuSecondsPerGB: medianOrNull(measurements.map((m) => m.cpuSecondsPerGB)),
  };
}

export interface RoundsSummary {
  /** One row per id, in first-round order: combined measurement, median per-round ratios. */
  readonly rows: BenchRow[];
  /** The spread of each row's per-round ratios. */
  readonly spread: RowSpread[];
  /** Every round's rows, with ratios against that round's own baseline. */
  readonly rounds: BenchRow[][];
}

/**
 * Summarises rounds of rows. Ratios are taken within each round (a row against the baseline
 * measured minutes apart, not against another round's), then their median and range reported.
 */
export function summarizeRounds(
  rounds: readonly (readonly BenchRow[])[],
  baselineId: RowId,
): RoundsSummary {
  const rated = rounds.map((rows) => withRatios(rows, baselineId));
  const ids = rated[0]?.map((row) => row.id) ?? [];
  const rows: BenchRow[] = [];
  const spread: RowSpread[] = [];
  for (const id of ids) {
    const perRound = rated.map((rows) => rows.find((row) => row.id === id))
      .filter((row): row is BenchRow => row !== undefined);
    const measured = perRound.filter((row) => row.status === "ok" && row.measurement);
    const first = perRound[0]!;
    const notes = [...new Set(perRound.flatMap((row) => row.notes))];
    if (measured.length > 0 && measured.length < perRound.length) {
      notes.push(`measured in ${measured.length} of ${perRound.length} rounds`);
    }
    const rangeFor = (key: keyof RowRatios) => rangeOf(measured.map((row) => row.ratios?.[key]));
    const ranges = {
      clientToServer: rangeFor("clientToServer"),
      serverToClient: rangeFor("serverToClient"),
      rttIdleMedian: rangeFor("rttIdleMedian"),
      rttLoadedMedian: rangeFor("rttLoadedMedian"),
    };
    const anyRatio = Object.values(ranges).some((range) => range !== null);
    rows.push({
      ...first,
      status: measured.length > 0 ? "ok" : first.status,
      notes,
      measurement: measured.length > 0
        ? combineMeasurements(measured.map((row) => row.measurement!))
        : null,
      ratios: anyRatio
        ? {
          clientToServer: ranges.clientToServer?.median ?? null,
          serverToClient: ranges.serverToClient?.median ?? null,
          rttIdleMedian: ranges.rttIdleMedian?.median ?? null,
          rttLoadedMedian: ranges.rttLoadedMedian?.median ?? null,
        }
        : null,
    });
    spread.push({ id, rounds: measured.length, ...ranges });
  }
  return { rows, spread, rounds: rated };
}
