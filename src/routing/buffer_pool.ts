/** A fixed set of equal buffers; take() waits while all are lent out. Bounds memory in flight. */
export class BufferPool {
  readonly bufferSize: number;
  #free: Uint8Array[] = [];
  #waiters: Array<(buffer: Uint8Array) => void> = [];

  constructor(count: number, bufferSize: number) {
    this.bufferSize = bufferSize;
    for (let i = 0; i < count; i++) this.#free.push(new Uint8Array(bufferSize));
  }

  get available(): number {
    return this.#free.length;
  }

  take(): Promise<Uint8Array> {
    const buffer = this.#free.pop();
    if (buffer) return Promise.resolve(buffer);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  give(buffer: Uint8Array): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(buffer);
    else this.#free.push(buffer);
  }
}
