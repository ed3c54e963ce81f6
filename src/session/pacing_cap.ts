/**
 * A cap on the carrier's pacing rate that keeps the queue at the path's bottleneck short, so the
 * standing queue forms in the session's own send queue instead (where CoDel sees it and sparse
 * packets pass it on their lane), not in a router where a ping on the lane waits behind it.
 *
 * The bottleneck's queue is read as the carrier's smoothed round trip above its minimum. While the
 * carrier fills it (it is backlogged: the kernel holds unsent bytes, or its congestion control is
 * still in its startup: pacing at STARTUP_PACING_RATIO times what it delivers or more, so whatever
 * the flows inside send goes out at once and their own window sets the queue) and it exceeds
 * BOTTLENECK_QUEUE_HIGH_MS, the cap goes to CUT_FACTOR of what the carrier delivered; while it is
 * below BOTTLENECK_QUEUE_LOW_MS, the cap grows by GROW_FACTOR a tick, and goes once it is well
 * above the delivery rate. It never goes below half the highest delivery rate seen uncapped (the
 * last PEAK_WINDOW_MS of it): a queue that others' traffic keeps full (the cap cannot drain it)
 * costs at most half the rate, and for GIVE_UP_MS at most: cuts that leave the queue above
 * BOTTLENECK_QUEUE_HIGH_MS that long let the cap go, and none follows for PEAK_WINDOW_MS.
 *
 * Two things keep the cap from holding the carrier down by its own doing. At a low rate the
 * receiver's delayed ACK (one ACK for two segments) adds the time between two segments to every
 * round trip: that much (ACK_SEGMENTS segments at the delivery rate) is not counted as queue, or a
 * cap set low (at a session's start, when the first round trips include the handshake and the
 * rate is a few kbit/s) kept finding a "queue" it had made itself and never grew (bench --wan:
 * 0.7 Mbit/s for a whole upload). And a queue that stays short for RELEASE_AFTER_MS lets the cap
 * go: the cap then sets the rate the carrier delivers, so the rate cannot be seen to fall short of
 * the cap, which growing by GROW_FACTOR a tick from a low cap takes tens of seconds to find.
 * Pure: the tuner feeds it TCP_INFO and applies what it returns.
 *
 * @module
 */

export const BOTTLENECK_QUEUE_HIGH_MS = 8;
export const BOTTLENECK_QUEUE_LOW_MS = 4;
export const CUT_FACTOR = 0.92;
export const GROW_FACTOR = 1.03;
/** How long after a cut the queue is given to drain before the next. */
export const CUT_HOLD_MS = 300;
export const PEAK_WINDOW_MS = 10_000;
/** How long a short queue holds the cap before it goes. */
export const RELEASE_AFTER_MS = 1000;
/** How long cuts may leave the queue long before the cap gives up (for PEAK_WINDOW_MS). */
export const GIVE_UP_MS = 2000;
/** Segments one delayed ACK answers: their spacing at the delivery rate is not queue. */
export const ACK_SEGMENTS = 2;
/** Bits of one full segment, for that spacing. */
export const SEGMENT_BITS = 1500 * 8;
/**
 * A carrier pacing at this many times its delivery rate is in its startup (bbr paces at 2.89x,
 * cubic in slow start at 2x): it never waits for the flows inside, which fill the bottleneck's
 * queue through it (bench --wan on 40 ms / 1 % / 100 Mbit/s: a carrier that stayed in startup
 * for a whole upload, never backlogged, left a 20 ms queue there, as a UDP tunnel's does).
 */
export const STARTUP_PACING_RATIO = 2;
/**
 * Paths shorter than this are left alone: a LAN or a lab's veth, whose round trip moves with the
 * hosts' CPUs, not with a router's queue.
 */
export const MIN_PATH_RTT_MS = 1;

/** What one TCP_INFO read says, for the cap. */
export interface PacingSample {
  readonly srttMs: number;
  readonly minRttMs: number;
  readonly deliveryRateBps: number;
  /** The kernel holds unsent bytes: the carrier sends as fast as it is let. */
  readonly backlogged: boolean;
  /** The carrier's pacing rate, bits per second (absent: unknown). */
  readonly pacingRateBps?: number;
}

export class PacingCap {
  /** The cap in bits per second; 0: none. */
  #cap = 0;
  #lastCut = -Infinity;
  #peak = 0;
  #peakAt = -Infinity;
  /** Since when the queue has been short under the cap, or long despite it (undefined: neither). */
  #shortSince: number | undefined;
  #longSince: number | undefined;
  /** No cut before this (after giving up). */
  #quietUntil = -Infinity;

  get capBps(): number {
    return this.#cap;
  }

  /** The cap after `sample` at `nowMs`: a new value (0: none) or undefined when unchanged. */
  step(sample: PacingSample, nowMs: number): number | undefined {
    const { srttMs, minRttMs, deliveryRateBps: rate } = sample;
    if (!(rate > 0) || !(minRttMs >= MIN_PATH_RTT_MS)) return undefined;
    // The peak is learnt while no cap holds the rate down (under a cap it would follow the cap).
    const expired = this.#cap === 0 && nowMs - this.#peakAt > PEAK_WINDOW_MS;
    if (rate >= this.#peak || expired) {
      this.#peak = rate;
      this.#peakAt = nowMs;
    }
    const queueMs = srttMs - minRttMs - (ACK_SEGMENTS * SEGMENT_BITS * 1000) / rate;
    const floor = this.#peak / 2;
    const filling = sample.backlogged ||
      (sample.pacingRateBps ?? 0) >= STARTUP_PACING_RATIO * rate;
    const long = queueMs > BOTTLENECK_QUEUE_HIGH_MS && filling;
    const short = queueMs < BOTTLENECK_QUEUE_LOW_MS;
    if (!long) this.#longSince = undefined;
    if (!short || this.#cap === 0) this.#shortSince = undefined;
    let next = this.#cap;
    if (long && this.#cap > 0 && nowMs - (this.#longSince ??= nowMs) >= GIVE_UP_MS) {
      // The cuts did not drain it: not a queue the cap can shorten.
      this.#quietUntil = nowMs + PEAK_WINDOW_MS;
      this.#longSince = undefined;
      next = 0;
    } else if (long) {
      if (nowMs - this.#lastCut < CUT_HOLD_MS || nowMs < this.#quietUntil) return undefined;
      this.#lastCut = nowMs;
      next = Math.max(floor, CUT_FACTOR * rate);
      if (this.#cap > 0) next = Math.min(next, this.#cap);
    } else if (short && this.#cap > 0) {
      next = this.#cap * GROW_FACTOR;
      if (nowMs - (this.#shortSince ??= nowMs) >= RELEASE_AFTER_MS || next > 1.25 * this.#peak) {
        next = 0;
      }
    }
    if (next === this.#cap) return undefined;
    if (next === 0) this.#shortSince = this.#longSince = undefined;
    this.#cap = next;
    return next;
  }
}
