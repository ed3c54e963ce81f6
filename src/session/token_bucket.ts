/** A token bucket: `burst` at once, refilled at `perSecond`; pure, the caller passes the time. */
export class TokenBucket {
  #tokens: number;
  #last: number | undefined;

  constructor(readonly burst: number, readonly perSecond: number) {
    this.#tokens = burst;
  }

  /** Takes one token at `nowMs`; false when none is left. */
  take(nowMs: number): boolean {
    if (this.#last !== undefined) {
      this.#tokens = Math.min(
        this.burst,
        this.#tokens + ((nowMs - this.#last) / 1000) * this.perSecond,
      );
    }
    this.#last = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
