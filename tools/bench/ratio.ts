/** The benchmark's arithmetic: CPU per gigabyte and ratios against a baseline. */
import type { BenchRow, RowId, RowMeasurement, RowRatios } from "./types.ts";

/** Bytes a run carried, from iperf3's bits per second over the run's length. */
export function bytesCarried(bitsPerSecond: number, seconds: number): number {
  if (!(bitsPerSecond >= 0) || !(seconds >= 0)) {
    throw new RangeError(
      `Rate and duration must not be negative: "${bitsPerSecond}", "${seconds}"`,
    );
  }
  return (bitsPerSecond * seconds) / 8;
}

/** CPU seconds per gigabyte (10^9 bytes) carried; undefined when nothing was carried. */
export function cpuSecondsPerGB(cpuSeconds: number, bytes: number): number | undefined {
  if (!(bytes > 0) || !Number.isFinite(cpuSeconds)) return undefined;
  return cpuSeconds / (bytes / 1e9);
}

/**
 * `value / baseline`: for throughput "how many times the baseline" (higher is better), for
 * round trips "relative to the baseline" (lower is better). Undefined when either side is
 * missing or not a positive finite number, so a skipped baseline never yields a fake ratio.
 */
export function ratio(value: number | undefined, baseline: number | undefined): number | undefined {
  if (value === undefined || baseline === undefined) return undefined;
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || value < 0 || baseline <= 0) {
    return undefined;
  }
  return value / baseline;
}

/** A measured row against the baseline's measurement; null when either was not measured. */
export function compareRows(
  row: RowMeasurement | null,
  baseline: RowMeasurement | null,
): RowRatios | null {
  if (!row || !baseline) return null;
  return {
    clientToServer: ratio(row.clientToServerBps, baseline.clientToServerBps) ?? null,
    serverToClient: ratio(row.serverToClientBps, baseline.serverToClientBps) ?? null,
    rttIdleMedian: ratio(row.rttIdle.medianMs, baseline.rttIdle.medianMs) ?? null,
    rttLoadedMedian: ratio(row.rttLoaded.medianMs, baseline.rttLoaded.medianMs) ?? null,
  };
}

/** The rows with their `ratios` filled in against the row `baselineId`. */
export function withRatios(rows: readonly BenchRow[], baselineId: RowId): BenchRow[] {
  const baseline = rows.find((row) => row.id === baselineId)?.measurement ?? null;
  return rows.map((row) => ({ ...row, ratios: compareRows(row.measurement, baseline) }));
}
