/** Caps on connections that have not yet become a session. */
export interface PendingLimits {
  /** Connections at once, from anyone, before their session has opened. @default 512 */
  readonly maxPending: number;
  /** The same, from one source address. @default 8 */
  readonly maxPendingPerSource: number;
}

export const DEFAULT_PENDING_LIMITS: PendingLimits = { maxPending: 512, maxPendingPerSource: 8 };

/** One pending connection's place under the caps. */
export interface PendingSlot {
  /** Calls `onExpiry` unless handshakeDone() or release() comes first. */
  startDeadline(ms: number, onExpiry: () => void): void;
  /** The TLS handshake has completed: its deadline no longer applies. */
  handshakeDone(): void;
  /** Frees the place (the session opened, or the connection ended). Safe to call twice. */
  release(): void;
}

/**
 * Counts connections from the moment they are accepted until their session opens, in total and
 * per source address, and refuses more than the caps. Pure bookkeeping; the listener closes what
 * is refused. Memory: one map entry per source address with a pending connection.
 */
export class PendingConnections {
  readonly limits: PendingLimits;
  #total = 0;
  #bySource = new Map<string, number>();

  constructor(limits: Partial<PendingLimits> = {}) {
    this.limits = { ...DEFAULT_PENDING_LIMITS, ...limits };
  }

  /** Connections pending now. */
  get count(): number {
    return this.#total;
  }

  /** Takes a place for a connection from `source`, or says which cap refuses it. */
  acquire(source: string): PendingSlot | "pending" | "per source" {
    if (this.#total >= this.limits.maxPending) return "pending";
    const fromSource = this.#bySource.get(source) ?? 0;
    if (fromSource >= this.limits.maxPendingPerSource) return "per source";
    this.#total++;
    this.#bySource.set(source, fromSource + 1);
    let released = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const clear = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    return {
      startDeadline: (ms, onExpiry) => {
        clear();
        timer = setTimeout(() => {
          timer = undefined;
          onExpiry();
        }, ms);
      },
      handshakeDone: clear,
      release: () => {
        clear();
        if (released) return;
        released = true;
        this.#total--;
        const left = (this.#bySource.get(source) ?? 1) - 1;
        if (left === 0) this.#bySource.delete(source);
        else this.#bySource.set(source, left);
      },
    };
  }
}
