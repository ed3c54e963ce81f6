import type { Logger } from "@logtape/logtape";
import type { FrameSource } from "../tun/device.ts";
import { loadTunLibrary } from "../tun/native_library.ts";
import { type ConversionCounters, type FrameConverter, OffloadConverter } from "../tun/offload.ts";
import { BufferPool } from "./buffer_pool.ts";

/** The part of a session the reader needs: somewhere to send frames, and its backlog. */
export interface FrameSink {
  /** Resolves when the sink no longer needs `frames`. */
  send(frames: Uint8Array): Promise<void>;
  /** Bytes queued and not yet written. */
  readonly inFlight: number;
  /** Whether the peer takes PacketGso frames; if not, offloaded packets are converted first. */
  readonly acceptsGso: boolean;
}

export interface TunReaderOptions {
  /** Buffers lent to sessions at once: the bound on memory held by pending writes. @default 4 */
  readonly buffers?: number;
  /** Bytes per buffer; one batch fills at most one buffer. @default 262144 */
  readonly bufferSize?: number;
  /** A sink with this many bytes in flight gets no more copied packets. @default 1048576 */
  readonly maxInFlight?: number;
  /** Makes Packet frames for peers without offloads. @default an OffloadConverter on its own shim */
  readonly converter?: FrameConverter;
}

/** Counters of the reader (packets that found no peer, or a peer too far behind). */
export interface TunReaderCounters {
  batches: number;
  packets: number;
  unroutable: number;
  congested: number;
}

/** Buffers for converted (segmented) frames: big enough for any batch's worst-case growth. */
const CONVERSION_BUFFERS = 2;

/**
 * The send pipeline: read a batch of framed packets from the TUN, find each packet's session by
 * destination, hand the frames to TLS. A batch for one session (the usual case, and the only one
 * on a client) is written whole without a copy; the buffer returns to the pool when the write
 * completes, which is what holds the reader back when TLS is slower than the TUN.
 */
export class TunReader {
  readonly counters: TunReaderCounters = { batches: 0, packets: 0, unroutable: 0, congested: 0 };
  /** Packet frames made from super-packets, and offloaded packets that could not be converted. */
  get conversion(): ConversionCounters {
    return this.#converter.counters;
  }
  #converter: FrameConverter;
  #source: FrameSource;
  #route: (destination: number) => FrameSink | undefined;
  #log: Logger;
  #pool: BufferPool;
  #converted: BufferPool;
  #maxInFlight: number;
  #running = false;
  #done: Promise<void> = Promise.resolve();

  constructor(
    source: FrameSource,
    route: (destination: number) => FrameSink | undefined,
    logger: Logger,
    options: TunReaderOptions = {},
  ) {
    this.#source = source;
    this.#route = route;
    this.#log = logger;
    const bufferSize = options.bufferSize ?? 262144;
    this.#pool = new BufferPool(options.buffers ?? 4, bufferSize);
    this.#converted = new BufferPool(CONVERSION_BUFFERS, 2 * bufferSize);
    this.#maxInFlight = options.maxInFlight ?? 1048576;
    this.#converter = options.converter ?? new OffloadConverter(loadTunLibrary());
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#done = this.#loop();
  }

  /** Stops reading; resolves when the pending read has returned. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#source.wake();
    await this.#done;
  }

  async #loop(): Promise<void> {
    // Two u32 per packet; a batch cannot hold more packets than minimum-size frames fit.
    const index = new Uint32Array(2 * Math.ceil(this.#pool.bufferSize / 24));
    while (this.#running) {
      const buffer = await this.#pool.take();
      let batch;
      try {
        batch = await this.#source.readFrames(buffer, index, 1000);
      } catch (error) {
        this.#pool.give(buffer);
        if (!this.#running) break;
        this.#log.error("TUN read failed: {error}", { error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (batch.count === 0) {
        this.#pool.give(buffer);
        continue;
      }
      this.counters.batches++;
      this.counters.packets += batch.count;
      await this.#dispatch(buffer, index, batch.bytes, batch.count);
    }
  }

  async #dispatch(buffer: Uint8Array, index: Uint32Array, bytes: number, count: number) {
    const first = this.#route(index[1]!);
    let single = true;
    for (let i = 1; i < count && single; i++) {
      if (this.#route(index[2 * i + 1]!) !== first) single = false;
    }
    if (single) {
      if (first === undefined) {
        this.counters.unroutable += count;
        this.#pool.give(buffer);
      } else if (this.#source.offload && !first.acceptsGso) {
        await this.#sendConverted(first, buffer.subarray(0, bytes));
        this.#pool.give(buffer);
      } else {
        first.send(buffer.subarray(0, bytes)).finally(() => this.#pool.give(buffer));
      }
      return;
    }
    // Packets for several peers: gather each peer's frames into one copy, then free the buffer.
    const parts = new Map<FrameSink, Array<[number, number]>>();
    for (let i = 0; i < count; i++) {
      const start = index[2 * i]!;
      const end = i + 1 < count ? index[2 * (i + 1)]! : bytes;
      const sink = this.#route(index[2 * i + 1]!);
      if (sink === undefined) {
        this.counters.unroutable++;
        continue;
      }
      let ranges = parts.get(sink);
      if (!ranges) parts.set(sink, ranges = []);
      ranges.push([start, end]);
    }
    for (const [sink, ranges] of parts) {
      if (sink.inFlight > this.#maxInFlight) {
        this.counters.congested += ranges.length;
        continue;
      }
      const size = ranges.reduce((sum, [start, end]) => sum + end - start, 0);
      const copy = new Uint8Array(size);
      let offset = 0;
      for (const [start, end] of ranges) {
        copy.set(buffer.subarray(start, end), offset);
        offset += end - start;
      }
      if (this.#source.offload && !sink.acceptsGso) await this.#sendConverted(sink, copy);
      else sink.send(copy);
    }
    this.#pool.give(buffer);
  }

  /** Sends frames to a peer without offloads, converting them through the conversion buffers. */
  async #sendConverted(sink: FrameSink, frames: Uint8Array): Promise<void> {
    let rest = frames;
    while (rest.length > 0) {
      const output = await this.#converted.take();
      const { consumed, written } = this.#converter.convert(rest, output);
      if (consumed === 0) {
        // Cannot happen with output twice the batch size; never spin on it.
        this.#converted.give(output);
        this.#log.error("offload conversion made no progress; {bytes} bytes dropped", {
          bytes: rest.length,
        });
        return;
      }
      rest = rest.subarray(consumed);
      if (written === 0) this.#converted.give(output);
      else sink.send(output.subarray(0, written)).finally(() => this.#converted.give(output));
    }
  }
}
