import type { Logger } from "@logtape/logtape";
import type { FrameSource } from "../tun/device.ts";
import type { TunReaderCounters } from "../counters/counters.ts";
import type { FrameConverter } from "../tun/offload.ts";
import { FRAME_HEADER_SIZE, VNET_HDR_SIZE } from "../frame/constants.ts";
import { BufferPool } from "./buffer_pool.ts";
import type { Ipv4Word } from "../ip/ipv4_word.ts";

/** The part of a session the reader needs: a bounded queue to hand frames to. */
export interface FrameSink {
  /**
   * Hands over `packets` whole frames holding `charge` bytes of memory; `release` runs once they
   * are no longer needed. Returns false (the sink counts the drop) when its queue is full.
   */
  send(frames: Uint8Array, packets: number, charge: number, release?: () => void): boolean;
  /** Whether the queue has no room for `charge` more bytes. */
  full(charge: number): boolean;
  /** Resolves once the queue has room again (or the sink has closed). */
  drained(): Promise<void>;
  /** Whether the peer takes PacketGso frames; if not, offloaded packets are converted first. */
  readonly acceptsGso: boolean;
}

/** Where packets go: the sink that owns a destination, and how many sinks are open. */
export interface SinkRouter {
  /** The sink for an IPv4 destination, as the shim's index holds it (host-order u32). */
  route(destination: Ipv4Word): FrameSink | undefined;
  /** The sink for the IPv6 destination whose 16 bytes start at `offset` of `packet`. */
  route6(packet: Uint8Array, offset: number): FrameSink | undefined;
  /** Open sinks now; with only one, waiting for it holds up nobody else. */
  openSinks(): number;
}

export interface TunReaderOptions {
  /** Turns offloaded frames into plain ones for peers without offloads. */
  readonly converter: FrameConverter;
  /** Buffers kept for reuse. @default 4 */
  readonly buffers?: number;
  /** Bytes per buffer; one batch fills at most one buffer. @default 262144 */
  readonly bufferSize?: number;
  /** Batches smaller than this are copied out, so a small packet never holds a whole buffer. */
  readonly copyBelow?: number;
  /** Where the reader counts; the process's counters in production. */
  readonly counters?: TunReaderCounters;
}

const IPV6_HEADER_SIZE = 40;
const IPV6_DESTINATION_OFFSET = 24;

/** While the only open sink is full, how often the reader looks again (a new peer may come). */
const SOLE_SINK_RECHECK_MS = 50;

/**
 * The send pipeline: read a batch of framed packets from the TUN, find each packet's session by
 * destination, hand the frames to that session's bounded send queue.
 *
 * - A batch for one session (the usual case, and the only one on a client) is lent whole, without
 *   a copy; the buffer comes back when TLS has written it.
 * - A batch for several sessions is split into one copy per session.
 * - A session whose queue is full loses the packets meant for it (tail drop, counted as congested
 *   on that session); the reader goes on with the next batch, so one slow or stalled peer never
 *   holds up the others.
 * - Only when that session is the one open session does the reader wait for it instead: there is
 *   nobody else to hold up, and not reading the TUN lets the kernel slow the senders down (TCP
 *   small queues) instead of losing their packets.
 *
 * Memory: `buffers` buffers of `bufferSize` plus, per session, at most its send queue's limit.
 */
export class TunReader {
  readonly counters: TunReaderCounters;
  #converter: FrameConverter;
  #source: FrameSource;
  #router: SinkRouter;
  #log: Logger;
  #pool: BufferPool;
  #converted: BufferPool;
  #copyBelow: number;
  #running = false;
  #done: Promise<void> = Promise.resolve();

  constructor(
    source: FrameSource,
    router: SinkRouter,
    logger: Logger,
    options: TunReaderOptions,
  ) {
    this.#converter = options.converter;
    this.#source = source;
    this.#router = router;
    this.#log = logger;
    const bufferSize = options.bufferSize ?? 262144;
    this.#pool = new BufferPool(options.buffers ?? 4, bufferSize);
    // Converted frames grow: twice the batch size always holds one batch's conversion.
    this.#converted = new BufferPool(2, 2 * bufferSize);
    this.#copyBelow = options.copyBelow ?? 16384;
    this.counters = options.counters ??
      { batches: 0, packets: 0, unroutable: 0, converted: 0, conversionDropped: 0 };
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
      const buffer = this.#pool.take();
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

  /**
   * The sink for packet `i` of a batch. The shim's index holds IPv4 destinations; for anything
   * else it holds 0 and the destination is read from the packet when it is IPv6.
   */
  #sinkOf(buffer: Uint8Array, index: Uint32Array, i: number): FrameSink | undefined {
    const destination = index[2 * i + 1]!;
    if (destination !== 0) return this.#router.route(destination);
    const frame = index[2 * i]!;
    const ip = frame + FRAME_HEADER_SIZE + (this.#source.offload ? VNET_HDR_SIZE : 0);
    const length = ((buffer[frame + 1]! << 16) | (buffer[frame + 2]! << 8) | buffer[frame + 3]!) -
      (this.#source.offload ? VNET_HDR_SIZE : 0);
    if (length < IPV6_HEADER_SIZE || buffer[ip]! >> 4 !== 6) return undefined;
    return this.#router.route6(buffer, ip + IPV6_DESTINATION_OFFSET);
  }

  async #dispatch(buffer: Uint8Array, index: Uint32Array, bytes: number, count: number) {
    const first = this.#sinkOf(buffer, index, 0);
    let single = true;
    for (let i = 1; i < count && single; i++) {
      if (this.#sinkOf(buffer, index, i) !== first) single = false;
    }
    if (single) {
      if (first === undefined) {
        this.counters.unroutable += count;
        this.#pool.give(buffer);
      } else {
        await this.#sendWhole(first, buffer, bytes, count);
      }
      return;
    }
    // Packets for several peers: gather each peer's frames into one copy, then free the buffer.
    const parts = new Map<FrameSink, Array<[number, number]>>();
    for (let i = 0; i < count; i++) {
      const start = index[2 * i]!;
      const end = i + 1 < count ? index[2 * (i + 1)]! : bytes;
      const sink = this.#sinkOf(buffer, index, i);
      if (sink === undefined) {
        this.counters.unroutable++;
        continue;
      }
      let ranges = parts.get(sink);
      if (!ranges) parts.set(sink, ranges = []);
      ranges.push([start, end]);
    }
    for (const [sink, ranges] of parts) {
      const size = ranges.reduce((sum, [start, end]) => sum + end - start, 0);
      const copy = new Uint8Array(size);
      let offset = 0;
      for (const [start, end] of ranges) {
        copy.set(buffer.subarray(start, end), offset);
        offset += end - start;
      }
      if (this.#needsConversion(sink)) this.#sendConverted(sink, copy, ranges.length);
      else sink.send(copy, ranges.length, size);
    }
    this.#pool.give(buffer);
  }

  /** Sends a batch that is all for one sink: lent whole, or copied out when it is small. */
  async #sendWhole(sink: FrameSink, buffer: Uint8Array, bytes: number, count: number) {
    const small = bytes < this.#copyBelow;
    const charge = small ? bytes : buffer.length;
    while (this.#running && sink.full(charge) && this.#router.openSinks() === 1) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const recheck = new Promise((resolve) => (timer = setTimeout(resolve, SOLE_SINK_RECHECK_MS)));
      await Promise.race([sink.drained(), recheck]);
      // drained() may resolve while `charge` still does not fit: then the timer paces the loop.
      if (sink.full(charge)) await recheck;
      clearTimeout(timer);
    }
    const frames = buffer.subarray(0, bytes);
    if (this.#needsConversion(sink)) {
      this.#sendConverted(sink, frames, count);
      this.#pool.give(buffer);
    } else if (small) {
      sink.send(frames.slice(), count, bytes);
      this.#pool.give(buffer);
    } else if (!sink.send(frames, count, charge, () => this.#pool.give(buffer))) {
      this.#pool.give(buffer);
    }
  }

  #needsConversion(sink: FrameSink): boolean {
    return this.#source.offload && !sink.acceptsGso;
  }

  /** Sends frames to a peer without offloads, converting them through the conversion buffers. */
  #sendConverted(sink: FrameSink, frames: Uint8Array, packets: number): void {
    let rest = frames;
    while (rest.length > 0) {
      const output = this.#converted.take();
      const { consumed, written } = this.#converter.convert(rest, output);
      this.counters.converted = this.#converter.counters.converted;
      this.counters.conversionDropped = this.#converter.counters.dropped;
      if (consumed === 0) {
        // Cannot happen with output twice the batch size; never spin on it.
        this.#converted.give(output);
        this.#log.error("offload conversion made no progress; {bytes} bytes dropped", {
          bytes: rest.length,
        });
        return;
      }
      rest = rest.subarray(consumed);
      if (written < this.#copyBelow) {
        if (written > 0) sink.send(output.slice(0, written), packets, written);
        this.#converted.give(output);
      } else if (
        !sink.send(output.subarray(0, written), packets, output.length, () => {
          this.#converted.give(output);
        })
      ) {
        this.#converted.give(output);
      }
      // The packet count of a batch goes with its first piece only.
      packets = 0;
    }
  }
}
