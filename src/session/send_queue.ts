import type { SecureStream } from "../transport/secure_stream.ts";

/** Bytes a session may have handed to TLS and not yet written. @default 1 MiB */
export const DEFAULT_SEND_QUEUE_BYTES = 1024 * 1024;

/** Bytes all sessions together may have queued. @default 64 MiB */
export const DEFAULT_SEND_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * The process-wide ceiling on queued bytes, shared by every session's SendQueue: with many slow
 * peers at once, memory stays under `limit` and the newest offers are dropped instead.
 */
export class SendBudget {
  readonly limit: number;
  used = 0;
  constructor(limit = DEFAULT_SEND_BUDGET_BYTES) {
    this.limit = limit;
  }
}

export interface SendQueueOptions {
  /** @default DEFAULT_SEND_QUEUE_BYTES */
  readonly limitBytes?: number;
  /** Shared with the other sessions. @default a budget of its own */
  readonly budget?: SendBudget;
  /** ms, monotonic. @default performance.now */
  readonly clock?: () => number;
}

/**
 * The bounded queue between everything that sends to one peer (the shared TUN reader, keepalive
 * answers) and that peer's TLS stream. What is handed over is written at once (node:tls queues
 * it); the queue only counts bytes whose write has not completed, and refuses more than its limit,
 * so a peer that reads slowly loses its own packets (tail drop, as a router does) and never holds
 * memory, the TUN reader or the other peers.
 */
export class SendQueue {
  readonly limitBytes: number;
  #stream: SecureStream;
  #queued = 0;
  #lastProgress: number;
  #clock: () => number;
  #waiters: Array<() => void> = [];
  #closed = false;
  #budget: SendBudget;

  constructor(stream: SecureStream, options: SendQueueOptions = {}) {
    this.#stream = stream;
    this.limitBytes = options.limitBytes ?? DEFAULT_SEND_QUEUE_BYTES;
    this.#budget = options.budget ?? new SendBudget();
    this.#clock = options.clock ?? (() => performance.now());
    this.#lastProgress = this.#clock();
  }

  /** Bytes charged and not yet written. */
  get queued(): number {
    return this.#queued;
  }

  /**
   * Writes `bytes` unless that would take the queue over its limit. `charge` is what the bytes
   * hold in memory (a lent buffer counts whole); `release` runs once the stream no longer needs
   * them. Returns false, and writes nothing, when the queue is full or closed.
   */
  offer(bytes: Uint8Array, charge = bytes.length, release?: () => void): boolean {
    const budget = this.#budget;
    if (this.#closed || !this.fits(charge)) return false;
    if (budget.used + charge > budget.limit) return false;
    if (this.#queued === 0) this.#lastProgress = this.#clock();
    this.#queued += charge;
    budget.used += charge;
    this.#stream.write(bytes).then(() => {
      release?.();
      // After close() the charge was already returned to the budget.
      if (this.#closed) return;
      this.#queued -= charge;
      budget.used -= charge;
      this.#lastProgress = this.#clock();
      if (this.#queued <= this.limitBytes / 2) this.#wakeWaiters();
    });
    return true;
  }

  /** Writes a frame that must go out whatever the queue holds (the one Close frame). */
  force(bytes: Uint8Array): void {
    this.#stream.write(bytes);
  }

  /** Whether `charge` more bytes fit under this queue's limit. */
  fits(charge: number): boolean {
    return this.#queued + charge <= this.limitBytes;
  }

  /** Resolves once the queue is at most half full, or closed. */
  drained(): Promise<void> {
    if (this.#closed || this.#queued <= this.limitBytes / 2) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** How long bytes have waited without any write completing; 0 when nothing waits. */
  stalledMs(): number {
    return this.#queued === 0 ? 0 : this.#clock() - this.#lastProgress;
  }

  /**
   * Refuses further offers, ends every wait and returns this queue's charge to the budget at once:
   * a closing socket may never complete its writes, and must not keep other peers' budget.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#budget.used -= this.#queued;
    this.#queued = 0;
    this.#wakeWaiters();
  }

  #wakeWaiters(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
