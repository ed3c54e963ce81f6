import type { SecureStream } from "../transport/secure_stream.ts";
import { CoDel, type CoDelOptions } from "./codel.ts";
import {
  frameLength,
  isDataFrame,
  markCongestion,
  PacketKind,
  packetKind,
} from "./packet_class.ts";
import { FrameLane, type Lease, type QueuedFrames } from "./frame_lane.ts";

/** Bytes a session may have queued (in memory, not yet written). @default 1 MiB */
export const DEFAULT_SEND_QUEUE_BYTES = 1024 * 1024;

/** Bytes all sessions together may have queued. @default 64 MiB */
export const DEFAULT_SEND_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * Bytes handed to TLS whose writes have not completed, when nothing better is known about the
 * carrier (see `writeWindowBytes`). @default 128 KiB
 */
export const DEFAULT_WRITE_WINDOW_BYTES = 128 * 1024;

/**
 * Most bytes of sparse packets waiting in the priority lane. Beyond it sparse packets queue with
 * the bulk data (and CoDel): a flood of small packets cannot take the carrier for itself.
 */
export const PRIORITY_LANE_BYTES = 64 * 1024;

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
  /** The AQM's target and interval. */
  readonly codel?: CoDelOptions;
}

/** What the AQM did so far. */
export interface AqmCounters {
  /** Packets dropped because they stood in the queue too long. */
  readonly dropped: number;
  /** ECN-capable packets marked instead of dropped. */
  readonly marked: number;
  /** Packets sent ahead of the bulk backlog (sparse packets and control frames). */
  readonly priority: number;
  /** How long the last packet handed to TLS had waited, ms. */
  readonly sojournMs: number;
}

/**
 * The bounded queue between everything that sends to one peer (the shared TUN reader, keepalive
 * answers) and that peer's TLS stream, with an AQM: packets wait here, where their waiting time
 * can be seen, and are handed to TLS only while fewer than `writeWindowBytes` are in TLS's hands
 * (the carrier's socket keeps few unsent bytes itself: TCP_NOTSENT_LOWAT, see carrier_socket.ts).
 *
 * - Two lanes: sparse packets (pings, ACKs, small datagrams, see packet_class.ts) and control
 *   frames are copied into a priority lane that is always served first (up to
 *   PRIORITY_LANE_BYTES waiting; beyond, sparse packets join the bulk); bulk data stays in place
 *   (a lent TUN buffer is not copied) in the bulk lane. When the session has a sparse lane (a
 *   second connection), sparse packets go there instead (`sparseSink`).
 * - CoDel on the bulk lane: when the bulk backlog has waited above target for an interval, its
 *   head packets are dropped (or ECN-marked) at CoDel's rising rate, so the senders inside the
 *   tunnel slow down instead of filling a queue that delays everyone.
 * - Memory: at most `limitBytes` charged (a lent buffer counts whole until its last byte is
 *   written), and the process-wide budget; an offer beyond either is refused (tail drop).
 */
export class SendQueue {
  readonly limitBytes: number;
  /** Most bytes handed to TLS and not yet written; at least one queued item is always let out. */
  writeWindowBytes = DEFAULT_WRITE_WINDOW_BYTES;
  /**
   * Where sparse packets go instead of the priority lane: the session's sparse lane (a second
   * connection, sparse_lane.ts), given the sparse frames of one offer together (not the bare
   * TCP segments, see packetKind, which keep the priority lane); it returns true
   * when it took them (a copy: the frames are only valid during the call). Unset, or returning
   * false, keeps them on this queue.
   */
  sparseSink: ((frames: readonly Uint8Array[]) => boolean) | undefined;
  #stream: SecureStream;
  #queued = 0;
  #inWrite = 0;
  #lastProgress: number;
  #clock: () => number;
  #waiters: Array<() => void> = [];
  #closed = false;
  #budget: SendBudget;
  #priority = new FrameLane();
  #bulk = new FrameLane();
  #codel: CoDel;
  #aqm = { dropped: 0, marked: 0, priority: 0, sojournMs: 0 };

  constructor(stream: SecureStream, options: SendQueueOptions = {}) {
    this.#stream = stream;
    this.limitBytes = options.limitBytes ?? DEFAULT_SEND_QUEUE_BYTES;
    this.#budget = options.budget ?? new SendBudget();
    this.#clock = options.clock ?? (() => performance.now());
    this.#lastProgress = this.#clock();
    this.#codel = new CoDel(options.codel);
  }

  /** Bytes charged and not yet written. */
  get queued(): number {
    return this.#queued;
  }

  /** Bytes waiting in the lanes (not yet handed to TLS). */
  get backlogBytes(): number {
    return this.#priority.bytes + this.#bulk.bytes;
  }

  get aqm(): AqmCounters {
    return { ...this.#aqm };
  }

  /**
   * Queues data frames unless that would take the queue over its limit. `charge` is what the
   * bytes hold in memory (a lent buffer counts whole); `release` runs once the queue no longer
   * needs them. Returns false, and queues nothing, when the queue is full or closed.
   */
  offer(bytes: Uint8Array, charge = bytes.length, release?: () => void): boolean {
    if (2 * bytes.length <= charge && this.#mustWait() && this.#fitsCompact(bytes.length)) {
      // A lent buffer, at most half full, that would wait is copied out and given back at once:
      // the TUN reader keeps reading, so packets queue here, where CoDel sees them, and not in
      // the TUN device's ring (4 lent buffers would fill the limit). While the carrier keeps up
      // nothing waits, and a fuller buffer (a fast carrier's batch) is not worth a copy: nothing
      // is copied then.
      bytes = bytes.slice();
      release?.();
      release = undefined;
      charge = bytes.length;
    }
    if (!this.#admit(charge)) return false;
    const lease: Lease = { pieces: 1, charge, ...(release ? { release } : {}) };
    const at = this.#clock();
    // Sparse packets are copied out into the priority lane (or handed to the sparse lane); the
    // runs between them stay in place.
    const sink = this.sparseSink;
    let toLane: Uint8Array[] | undefined;
    let runStart = 0;
    for (let offset = 0; offset < bytes.length;) {
      const length = frameLength(bytes, offset);
      const kind = isDataFrame(bytes, offset) ? packetKind(bytes, offset) : PacketKind.Bulk;
      if (kind !== PacketKind.Bulk) {
        const frame = bytes.subarray(offset, offset + length);
        const onLane = sink !== undefined && kind === PacketKind.Sparse;
        if (onLane || this.#priority.bytes + length <= PRIORITY_LANE_BYTES) {
          if (offset > runStart) this.#bulk.push(this.#piece(bytes, runStart, offset, at, lease));
          if (onLane) (toLane ??= []).push(frame);
          else this.#priority.push(this.#copy(frame, at));
          runStart = offset + length;
        }
      }
      offset += length;
    }
    // The lane takes the batch's sparse packets in one piece; what it refuses goes first here.
    if (toLane && !sink!(toLane)) {
      for (const frame of toLane) this.#priority.push(this.#copy(frame, at));
    }
    if (runStart < bytes.length) {
      this.#bulk.push(this.#piece(bytes, runStart, bytes.length, at, lease));
    }
    this.#settle(lease); // the offer's own piece
    this.#pump();
    return true;
  }

  /**
   * Queues whole data frames, which the queue may keep (the caller's own copy), ahead of the bulk
   * backlog in one piece: the sparse packets a session hands its lane. False when full or closed.
   */
  offerSparse(frames: Uint8Array): boolean {
    if (!this.#admit(frames.length)) return false;
    const lease = { pieces: 1, charge: frames.length };
    this.#priority.push({ bytes: frames, at: this.#clock(), lease, data: true });
    this.#pump();
    return true;
  }

  /** Queues a control frame (Hello, Ping, Pong) ahead of all data; false when full or closed. */
  offerControl(frame: Uint8Array): boolean {
    if (!this.#admit(frame.length)) return false;
    this.#priority.push({
      bytes: frame,
      at: this.#clock(),
      lease: { pieces: 1, charge: frame.length },
    });
    this.#pump();
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
   * Refuses further offers, ends every wait, gives back what was never handed to TLS and returns
   * this queue's charge to the budget at once: a closing socket may never complete its writes,
   * and must not keep other peers' budget.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const lane of [this.#priority, this.#bulk]) {
      for (let item = lane.shift(); item; item = lane.shift()) this.#settle(item.lease);
    }
    this.#budget.used -= this.#queued;
    this.#queued = 0;
    this.#wakeWaiters();
  }

  /** Whether what is offered now would wait (a backlog, or the write window is full). */
  #mustWait(): boolean {
    return this.#bulk.length > 0 || this.#inWrite >= this.writeWindowBytes;
  }

  /** Whether `bytes` would be admitted (so a copy made for them is never refused). */
  #fitsCompact(bytes: number): boolean {
    return !this.#closed && this.fits(bytes) && this.#budget.used + bytes <= this.#budget.limit;
  }

  #admit(charge: number): boolean {
    const budget = this.#budget;
    if (this.#closed || !this.fits(charge)) return false;
    if (budget.used + charge > budget.limit) return false;
    if (this.#queued === 0) this.#lastProgress = this.#clock();
    this.#queued += charge;
    budget.used += charge;
    return true;
  }

  #piece(bytes: Uint8Array, start: number, end: number, at: number, lease: Lease): QueuedFrames {
    lease.pieces++;
    return { bytes: bytes.subarray(start, end), at, lease, data: true };
  }

  /** A sparse packet's own copy, charged on top of the batch it came in (at most its size). */
  #copy(frame: Uint8Array, at: number): QueuedFrames {
    this.#queued += frame.length;
    this.#budget.used += frame.length;
    return { bytes: frame.slice(), at, lease: { pieces: 1, charge: frame.length }, data: true };
  }

  /** One piece of a lease is done; the last one releases the memory and returns the charge. */
  #settle(lease: Lease): void {
    if (--lease.pieces > 0) return;
    lease.release?.();
    // After close() the charge was already returned to the budget.
    if (this.#closed) return;
    this.#queued -= lease.charge;
    this.#budget.used -= lease.charge;
    if (this.#queued <= this.limitBytes / 2) this.#wakeWaiters();
  }

  /** Hands items to TLS while the write window has room: priority lane first, then bulk. */
  #pump(): void {
    while (!this.#closed && (this.#inWrite === 0 || this.#inWrite < this.writeWindowBytes)) {
      const priority = this.#priority.shift();
      if (priority) {
        if (priority.data) this.#aqm.priority++;
        this.#write(priority);
        continue;
      }
      const bulk = this.#nextBulk();
      if (!bulk) return;
      this.#write(bulk);
    }
  }

  /** The bulk lane's head after CoDel has dropped (or marked) what it decides to. */
  #nextBulk(): QueuedFrames | undefined {
    for (;;) {
      const item = this.#bulk.peek();
      if (!item) {
        this.#codel.idle();
        return undefined;
      }
      if (!isDataFrame(item.bytes, 0)) return this.#bulk.shift();
      const now = this.#clock();
      const length = frameLength(item.bytes, 0);
      if (!this.#codel.shouldDrop(now, now - item.at, this.#bulk.bytes, length)) {
        return this.#bulk.shift();
      }
      if (markCongestion(item.bytes, 0)) {
        this.#aqm.marked++;
        return this.#bulk.shift();
      }
      this.#aqm.dropped++;
      if (!this.#bulk.dropHead(length)) continue;
      this.#settle(this.#bulk.shift()!.lease);
    }
  }

  #write(item: QueuedFrames): void {
    const length = item.bytes.length;
    this.#inWrite += length;
    this.#aqm.sojournMs = this.#clock() - item.at;
    this.#stream.write(item.bytes).then(() => {
      this.#inWrite -= length;
      this.#lastProgress = this.#clock();
      this.#settle(item.lease);
      this.#pump();
    });
  }

  #wakeWaiters(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
