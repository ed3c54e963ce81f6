/**
 * One interval for every session of the process that needs the same periodic step, instead of one
 * per session: with 10,000 idle sessions, 10,000 intervals of 100 ms were 100,000 timer callbacks a
 * second, most of a core on their own (bench --sessions, docs/performance.md), and 10,000
 * keepalive intervals of 2.5 s still cost 4 % of a core in timer dispatch alone. The clock runs
 * while a step is registered and stops with the last one, so an idle process and a finished test
 * keep no timer.
 *
 * @module
 */

export class SharedTicker {
  readonly periodMs: number;
  readonly #steps = new Set<() => void>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(periodMs: number) {
    this.periodMs = periodMs;
  }

  /** Calls `step` every periodMs until the returned function is called. */
  add(step: () => void): () => void {
    this.#steps.add(step);
    this.#timer ??= setInterval(() => {
      for (const each of this.#steps) each();
    }, this.periodMs);
    return () => {
      this.#steps.delete(step);
      if (this.#steps.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }
}

const tickers = new Map<number, SharedTicker>();

/**
 * The process's ticker of `periodMs` (sessions with the same keepalive options share one). It is
 * the process's one clock of its period, like the runtime's own timer list, hence module state;
 * there are as many as distinct periods in use, a handful at most.
 */
export function sharedTicker(periodMs: number): SharedTicker {
  let ticker = tickers.get(periodMs);
  if (!ticker) tickers.set(periodMs, ticker = new SharedTicker(periodMs));
  return ticker;
}
