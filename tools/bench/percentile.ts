/** Percentiles of round-trip samples, for the benchmark's latency columns. */

/**
 * The `p`-th percentile (0..100) of `samples`, interpolating linearly between the two closest
 * ranks (the "inclusive" method of spreadsheets and numpy's default). NaN when there are no
 * samples.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 50); // 2.5
 * percentile([1, 2, 3, 4], 100); // 4
 * ```
 */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Percentile must be within 0..100: "${p}"`);
  const bad = samples.find((sample) => !Number.isFinite(sample));
  if (bad !== undefined) throw new TypeError(`Sample must be a finite number: "${bad}"`);
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const below = sorted[Math.floor(rank)]!;
  const above = sorted[Math.ceil(rank)]!;
  return below + (above - below) * (rank - Math.floor(rank));
}

/** Median and tail of a set of round trips, in milliseconds. */
export interface LatencySummary {
  /** Number of samples (replies) summarised. */
  readonly count: number;
  /** NaN when there are no samples. */
  readonly medianMs: number;
  /** NaN when there are no samples. */
  readonly p99Ms: number;
}

/** Summarises per-reply round trips into median and 99th percentile. */
export function summarizeLatency(samplesMs: readonly number[]): LatencySummary {
  return {
    count: samplesMs.length,
    medianMs: percentile(samplesMs, 50),
    p99Ms: percentile(samplesMs, 99),
  };
}
