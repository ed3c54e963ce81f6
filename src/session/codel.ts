/**
 * CoDel (RFC 8289), the controller alone: told at each dequeue how long the head packet waited
 * and how much is queued, it says whether to drop (or ECN-mark) that packet. It keeps the standing
 * queue near `targetMs`: a queue that stays above target for `intervalMs` gets one drop, then
 * drops closer and closer together (interval / sqrt(count)) until it falls below target again.
 * Bursts that drain within an interval are never touched. Pure: the clock is passed in.
 */

export interface CoDelOptions {
  /** Acceptable standing queue delay. @default 5 ms */
  readonly targetMs?: number;
  /** How long the delay must stay above target before the first drop (about a worst-case RTT). @default 100 ms */
  readonly intervalMs?: number;
}

export class CoDel {
  readonly targetMs: number;
  readonly intervalMs: number;
  /** When the sojourn time first went above target and stayed; 0 when it is below. */
  #firstAboveTime = 0;
  #dropping = false;
  #dropNext = 0;
  #count = 0;
  #lastCount = 0;

  constructor(options: CoDelOptions = {}) {
    this.targetMs = options.targetMs ?? 5;
    this.intervalMs = options.intervalMs ?? 100;
  }

  /** Whether the controller is in its dropping state (the queue has stood above target). */
  get dropping(): boolean {
    return this.#dropping;
  }

  /**
   * The RFC's `dodequeue` test: is it OK to drop a packet that waited `sojournMs`, with
   * `backlogBytes` queued of which the head packet is `packetBytes`? (A queue of one packet is
   * never dropped from: it cannot be a standing queue.)
   */
  #okToDrop(now: number, sojournMs: number, backlogBytes: number, packetBytes: number): boolean {
    if (sojournMs < this.targetMs || backlogBytes <= packetBytes) {
      this.#firstAboveTime = 0;
      return false;
    }
    if (this.#firstAboveTime === 0) {
      this.#firstAboveTime = now + this.intervalMs;
      return false;
    }
    return now >= this.#firstAboveTime;
  }

  #controlLaw(t: number): number {
    return t + this.intervalMs / Math.sqrt(this.#count);
  }

  /**
   * Called for each packet about to leave the queue; true: drop (or mark) it. After a drop the
   * caller asks again about the next packet, as the RFC's dequeue loop does.
   */
  shouldDrop(now: number, sojournMs: number, backlogBytes: number, packetBytes: number): boolean {
    const ok = this.#okToDrop(now, sojournMs, backlogBytes, packetBytes);
    if (this.#dropping) {
      if (!ok) {
        this.#dropping = false;
        return false;
      }
      if (now >= this.#dropNext) {
        this.#count++;
        this.#dropNext = this.#controlLaw(this.#dropNext);
        return true;
      }
      return false;
    }
    if (!ok) return false;
    this.#dropping = true;
    // Coming back to dropping soon after the last time: start from the rate that was reached.
    const delta = this.#count - this.#lastCount;
    this.#count = delta > 1 && now - this.#dropNext < 16 * this.intervalMs ? delta : 1;
    this.#dropNext = this.#controlLaw(now);
    this.#lastCount = this.#count;
    return true;
  }

  /** The queue went empty: a later backlog starts its above-target clock afresh. */
  idle(): void {
    this.#firstAboveTime = 0;
    this.#dropping = false;
  }
}
