/** A FIFO of frame runs waiting in a SendQueue, with the count of their bytes. */

/** A buffer handed to the queue, possibly split into pieces; released when all are done. */
export interface Lease {
  /** Pieces not yet written or given up. */
  pieces: number;
  /** Bytes of memory the buffer holds (a lent buffer counts whole). */
  readonly charge: number;
  readonly release?: () => void;
}

/** Whole frames, one after another, queued at `at` (ms). */
export interface QueuedFrames {
  bytes: Uint8Array;
  readonly at: number;
  readonly lease: Lease;
  /** Data frames (which the AQM may drop), not a control frame. */
  readonly data?: boolean;
}

export class FrameLane {
  #items: QueuedFrames[] = [];
  #head = 0;
  #bytes = 0;

  /** Bytes of all queued frames. */
  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: QueuedFrames): void {
    this.#items.push(item);
    this.#bytes += item.bytes.length;
  }

  peek(): QueuedFrames | undefined {
    return this.#items[this.#head];
  }

  shift(): QueuedFrames | undefined {
    const item = this.#items[this.#head];
    if (!item) return undefined;
    this.#items[this.#head++] = undefined as unknown as QueuedFrames;
    this.#bytes -= item.bytes.length;
    // Compact once the consumed part dominates, so the array stays as long as the queue.
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /**
   * Drops the first `length` bytes (one frame) of the head item; returns true when that emptied
   * the item, which stays at the head for the caller to shift and settle.
   */
  dropHead(length: number): boolean {
    const item = this.#items[this.#head]!;
    item.bytes = item.bytes.subarray(length);
    this.#bytes -= length;
    return item.bytes.length === 0;
  }
}
