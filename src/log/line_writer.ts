/**
 * Where log lines go, written so that no destination can stall or kill the tunnel: a pipe whose
 * reader went away, a reader that stopped reading, a full disk. A failed write is counted, the
 * first failure of a run of them is reported once to the other stream (stderr), lines are dropped
 * while it lasts, and the return of the destination is reported too. Memory: at most
 * `maxQueuedBytes` of lines wait for a slow destination.
 */

import type { LogCounters } from "../counters/counters.ts";
import { errorMessage } from "../base/error_message.ts";

export interface LineWriterOptions {
  /** Names the destination in reports, e.g. "standard output" or the file's path. */
  readonly name: string;
  /** Lines waiting for a slow destination; beyond this, lines are dropped. @default 1 MiB */
  readonly maxQueuedBytes?: number;
  /** Where failures are counted. */
  readonly counters?: LogCounters;
  /** Where the one report of a failure goes. @default standard error, best effort */
  readonly report?: (message: string) => void;
}

/** Reports to standard error; gives up silently when that fails too. */
function reportToStderr(message: string): void {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(`sssonector: ${message}\n`));
  } catch {
    // Nowhere left to say it; the counter still counts.
  }
}

abstract class LineWriter {
  readonly name: string;
  #counters: LogCounters;
  #report: (message: string) => void;
  #lost = 0;

  constructor(options: LineWriterOptions) {
    this.name = options.name;
    this.#counters = options.counters ?? { failedWrites: 0 };
    this.#report = options.report ?? reportToStderr;
  }

  /** Lines lost so far. */
  get failedWrites(): number {
    return this.#counters.failedWrites;
  }

  abstract write(line: string): void;

  protected failed(error: unknown, lines = 1): void {
    this.#counters.failedWrites += lines;
    if (this.#lost === 0) {
      this.#report(
        `cannot write log lines to ${this.name}: ${errorMessage(error)}; ` +
          "log lines are dropped until it works again (the tunnel goes on)",
      );
    }
    this.#lost += lines;
  }

  protected succeeded(): void {
    if (this.#lost === 0) return;
    this.#report(`log lines reach ${this.name} again; ${this.#lost} were lost`);
    this.#lost = 0;
  }
}

/** Writes each line to a file before the log call returns; a failed write drops the line. */
export class FileLineWriter extends LineWriter {
  #file: Deno.FsFile;
  #encoder = new TextEncoder();

  constructor(file: Deno.FsFile, options: LineWriterOptions) {
    super(options);
    this.#file = file;
  }

  /** The file lines go to now. */
  get file(): Deno.FsFile {
    return this.#file;
  }

  /**
   * Sends every later line to `file` instead (after a log rotation); returns the file used until
   * now, for the caller to close. Writes are synchronous, so no line is split between the two.
   */
  replace(file: Deno.FsFile): Deno.FsFile {
    const old = this.#file;
    this.#file = file;
    return old;
  }

  write(line: string): void {
    const bytes = this.#encoder.encode(line);
    try {
      let written = 0;
      while (written < bytes.length) written += this.#file.writeSync(bytes.subarray(written));
    } catch (error) {
      this.failed(error);
      return;
    }
    this.succeeded();
  }
}

/** Something lines can be written to asynchronously, one write at a time (standard output). */
export interface AsyncDestination {
  write(bytes: Uint8Array): Promise<number>;
}

/**
 * Writes lines in order through asynchronous writes, so a destination that blocks (a pipe nobody
 * reads) blocks only a runtime thread, never the event loop, and lines beyond the queue's bound
 * are dropped and counted. After a failed write (a closed pipe), lines are dropped without
 * further writes for `retryMs`, then one is tried again.
 */
export class QueuedLineWriter extends LineWriter {
  #destination: AsyncDestination;
  #maxQueued: number;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #writing: Promise<void> | undefined;
  #brokenUntil = 0;
  #retryMs: number;
  #encoder = new TextEncoder();

  constructor(destination: AsyncDestination, options: LineWriterOptions & { retryMs?: number }) {
    super(options);
    this.#destination = destination;
    this.#maxQueued = options.maxQueuedBytes ?? 1024 * 1024;
    this.#retryMs = options.retryMs ?? 10_000;
  }

  /** Bytes of lines waiting. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  write(line: string): void {
    const bytes = this.#encoder.encode(line);
    if (performance.now() < this.#brokenUntil) {
      this.failed(new Error("it failed recently"));
      return;
    }
    if (this.#queuedBytes + bytes.length > this.#maxQueued) {
      this.failed(new Error(`it is not taking lines (${this.#queuedBytes} bytes wait)`));
      return;
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    this.#writing ??= this.#pump();
  }

  /** Resolves once queued lines are written, or after `timeoutMs` at most. */
  async flush(timeoutMs = 500): Promise<void> {
    if (!this.#writing) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#writing,
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0) {
      const bytes = this.#queue[0]!;
      try {
        let written = 0;
        while (written < bytes.length) {
          written += await this.#destination.write(bytes.subarray(written));
        }
      } catch (error) {
        const dropped = this.#queue.length;
        this.#queue = [];
        this.#queuedBytes = 0;
        this.#brokenUntil = performance.now() + this.#retryMs;
        this.failed(error, dropped);
        break;
      }
      this.#queue.shift();
      this.#queuedBytes -= bytes.length;
      this.succeeded();
    }
    this.#writing = undefined;
  }
}
