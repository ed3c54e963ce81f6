/** Reconnect delays: exponential growth with a cap and random spread, so clients don't stampede. */

export interface BackoffOptions {
  /** Delay before the first retry. @default 500 */
  readonly initialMs?: number;
  /** Largest delay. @default 30000 */
  readonly maxMs?: number;
  /** Growth per attempt. @default 2 */
  readonly factor?: number;
  /** Fraction of the delay drawn at random, 0..1. @default 0.2 */
  readonly jitter?: number;
}

/** The delay before retry number `attempt` (0-based); `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialMs = 500, maxMs = 30_000, factor = 2, jitter = 0.2 } = options;
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`Attempt must be a non-negative integer: ${attempt}`);
  }
  const base = Math.min(maxMs, initialMs * factor ** Math.min(attempt, 64));
  const spread = base * jitter;
  return Math.round(Math.min(maxMs, base - spread + 2 * spread * random()));
}
