/**
 * Reusable equal-size buffers. take() never waits: when none is free it makes a new one, so a
 * buffer lent to a slow peer can never hold up the TUN reader. What bounds the memory is the
 * lending, not the pool: every lent buffer is charged to the send queue of the peer that holds it
 * (see SendQueue). Up to `keep` returned buffers are kept for reuse; the rest are left to the
 * garbage collector, so memory goes back down after a burst.
 */
export class BufferPool {
  readonly bufferSize: number;
  readonly keep: number;
  #free: Uint8Array[] = [];

  constructor(keep: number, bufferSize: number) {
    this.bufferSize = bufferSize;
    this.keep = keep;
    for (let i = 0; i < keep; i++) this.#free.push(new Uint8Array(bufferSize));
  }

  /** Buffers ready for reuse. */
  get available(): number {
    return this.#free.length;
  }

  take(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(this.bufferSize);
  }

  give(buffer: Uint8Array): void {
    if (this.#free.length < this.keep && buffer.length === this.bufferSize) this.#free.push(buffer);
  }
}
