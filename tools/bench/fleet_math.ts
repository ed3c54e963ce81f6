/** Pure arithmetic of `bench --fleet`: memory slope, CPU per gigabit, settled samples. */

/** A straight line y = intercept + slope x. */
export interface Line {
  readonly slope: number;
  readonly intercept: number;
}

/**
 * The least-squares line through the points. Needs two distinct x values at least.
 *
 * @example
 * ```ts
 * leastSquares([[1, 3], [2, 5], [3, 7]]); // { slope: 2, intercept: 1 }
 * ```
 */
export function leastSquares(points: readonly (readonly [number, number])[]): Line {
  const n = points.length;
  if (points.some(([x, y]) => !Number.isFinite(x) || !Number.isFinite(y))) {
    throw new TypeError(`Points must be finite numbers: "${JSON.stringify(points)}"`);
  }
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
  }
  if (!(n >= 2) || sxx === 0) {
    throw new RangeError(
      `A line needs two distinct x values at least: "${JSON.stringify(points)}"`,
    );
  }
  const slope = sxy / sxx;
  return { slope, intercept: meanY - slope * meanX };
}

/**
 * CPU seconds per gigabit carried (10^9 bits). The same number is CPU seconds per second per
 * Gbit/s of throughput: the run's length cancels out. Undefined when nothing was carried.
 */
export function cpuSecondsPerGbit(cpuSeconds: number, bytes: number): number | undefined {
  return bytes > 0 ? cpuSeconds / ((bytes * 8) / 1e9) : undefined;
}

/**
 * Whether the last `window` samples lie within `span` of each other (a memory reading that has
 * stopped moving), and their median if so.
 */
export function settledValue(
  samples: readonly number[],
  window: number,
  span: number,
): number | undefined {
  if (samples.length < window) return undefined;
  const last = [...samples.slice(-window)].sort((a, b) => a - b);
  if (last.at(-1)! - last[0]! > span) return undefined;
  return last[Math.floor((last.length - 1) / 2)]!;
}

/** The machine's CPU time from the first line of /proc/stat, in clock ticks. */
export interface CpuTotals {
  /** Everything but idle and iowait. */
  readonly busy: number;
  readonly total: number;
}

/** Parses the `cpu` line of /proc/stat (see proc(5)). */
export function parseCpuTotals(procStat: string): CpuTotals {
  const line = procStat.split("\n").find((l) => /^cpu\s/.test(l));
  const fields = line?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new SyntaxError(`Cannot parse the cpu line of /proc/stat: "${line?.slice(0, 80)}"`);
  }
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - fields[3]! - (fields[4] ?? 0), total };
}

/** The share (0..1) of the machine's CPU time that was busy between two samples. */
export function busyShare(before: CpuTotals, after: CpuTotals): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/** TCP retransmissions the sender counted in an `iperf3 -J` report; 0 when it says nothing. */
export function iperfRetransmits(json: string): number {
  try {
    const value = JSON.parse(json)?.end?.sum_sent?.retransmits;
    return typeof value === "number" ? value : 0;
  } catch {
    return 0;
  }
}
