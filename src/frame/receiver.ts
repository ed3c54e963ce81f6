import {
  checkFrameHeader,
  decodeFrameAt,
  type Frame,
  FrameError,
  readFrameHeader,
} from "./codec.ts";
import { FRAME_HEADER_SIZE, FRAME_MAX_PAYLOAD } from "./constants.ts";
import { ANY_SOURCE, type PacketFilter } from "../ip/packet_filter.ts";

/** Where a data-frame writer stopped (values of native/tun.h SSS_WRITE_*). */
export const WriteStatus = {
  /** Every complete frame was consumed; the rest is the start of a frame. */
  NeedMore: 0,
  /** Stopped at a frame that is not a data frame. */
  Control: 1,
  /** Stopped at a data frame longer than the protocol allows. */
  BadFrame: 2,
  /** Stopped at a PacketGso frame that this side did not offer. */
  BadGso: 3,
} as const;

/**
 * Indexes into the statistics array a DataFrameWriter accumulates into (SSS_STAT_*). Status and
 * the spoofed-source report are set by every call; the others are counters that only grow.
 */
export const WriteStat = {
  Status: 0,
  Packets: 1,
  Bytes: 2,
  /** Source in no source rule of the filter. */
  DroppedSpoofed: 3,
  DroppedMalformed: 4,
  DroppedWriteError: 5,
  /** Destination refused by a deny rule of the filter. */
  DroppedDestination: 6,
  /** IPv6 from a link-local (fe80::/10) or the unspecified source. */
  DroppedLinkLocal: 7,
  /** TCP SYNs whose MSS option was lowered on the way into the TUN. */
  MssClamped: 8,
  /** 4 or 6: the family of the last spoofed source of the call; 0: none in this call. */
  SpoofedFamily: 9,
  /** Two u64 holding the 16 bytes of that source, network order (IPv4 in the first 4). */
  SpoofedAddress: 10,
} as const;
/** Length of the statistics array (SSS_STAT_COUNT). */
export const WRITE_STAT_COUNT = 12;

/** Consumes data frames (the TUN device in production). */
export interface DataFrameWriter {
  /**
   * Writes the complete data frames at the start of `bytes`, dropping the packets `filter`
   * refuses (src/ip/packet_filter.ts). Returns the bytes consumed; stores the WriteStatus in
   * stats[WriteStat.Status] (and the spoofed-source report) and adds to the other counters.
   * `stats` has WRITE_STAT_COUNT entries.
   */
  writeFrames(bytes: Uint8Array, filter: PacketFilter, stats: BigUint64Array): number;
}

/** The source address of the last spoofed packet a writeFrames call reported, or undefined. */
export function spoofedSource(stats: BigUint64Array): Uint8Array | undefined {
  const family = Number(stats[WriteStat.SpoofedFamily]);
  if (family !== 4 && family !== 6) return undefined;
  const bytes = new Uint8Array(stats.buffer, stats.byteOffset + WriteStat.SpoofedAddress * 8, 16);
  return bytes.slice(0, family === 4 ? 4 : 16);
}

/** Stores `source` as the spoofed-source report of a writeFrames call (for writers in TypeScript). */
export function reportSpoofed(stats: BigUint64Array, source: Uint8Array): void {
  const bytes = new Uint8Array(stats.buffer, stats.byteOffset + WriteStat.SpoofedAddress * 8, 16);
  bytes.fill(0);
  bytes.set(source);
  stats[WriteStat.SpoofedFamily] = source.length === 4 ? 4n : 6n;
}

/** Options of a FrameReceiver. */
export interface FrameReceiverOptions {
  /**
   * Told the source of a packet dropped as spoofed: at most once per writeFrames call (the last
   * such packet of the call), so a flood costs one call per chunk, not per packet. The bytes are
   * the caller's to keep (4 for IPv4, 16 for IPv6).
   */
  readonly onSpoofed?: (source: Uint8Array) => void;
}

/** A writer that accepts no data frames: every frame reaches the control handler. */
export const NO_DATA_FRAMES: DataFrameWriter = {
  writeFrames(_bytes, _filter, stats) {
    stats[WriteStat.Status] = BigInt(WriteStatus.Control);
    return 0;
  },
};

/**
 * Turns the received byte stream of one session back into frames. Data frames go to the writer in
 * place, as many per call as the chunk holds; only control frames are decoded here, and only the
 * one frame that spans two chunks is copied. Protocol violations throw FrameError.
 */
export class FrameReceiver {
  /** The frame that spans chunks; made on first need, so an idle session costs no 64 KiB. */
  #partialBuffer: Uint8Array | undefined;
  #partialLength = 0;
  /** The writer's statistics (WriteStat indexes), accumulated over the receiver's life. */
  readonly stats = new BigUint64Array(WRITE_STAT_COUNT);
  writer: DataFrameWriter;
  /** What the peer may send; until admission, every source (and NO_DATA_FRAMES writes nothing). */
  filter: PacketFilter = ANY_SOURCE;
  readonly #onControl: (frame: Frame) => void;
  readonly #onSpoofed: ((source: Uint8Array) => void) | undefined;

  constructor(
    writer: DataFrameWriter,
    onControl: (frame: Frame) => void,
    options: FrameReceiverOptions = {},
  ) {
    this.writer = writer;
    this.#onControl = onControl;
    this.#onSpoofed = options.onSpoofed;
  }

  get #partial(): Uint8Array {
    return this.#partialBuffer ??= new Uint8Array(FRAME_HEADER_SIZE + FRAME_MAX_PAYLOAD);
  }

  /** Bytes held back as the start of an incomplete frame. */
  get pendingBytes(): number {
    return this.#partialLength;
  }

  push(chunk: Uint8Array): void {
    let rest = chunk;
    if (this.#partialLength > 0) {
      rest = this.#completePartial(rest);
      if (this.#partialLength > 0) return;
    }
    const remainder = this.#drain(rest);
    this.#keep(remainder);
  }

  /** Fills the held-back frame from `chunk`; drains it once whole. Returns what is left of chunk. */
  #completePartial(chunk: Uint8Array): Uint8Array {
    let used = 0;
    if (this.#partialLength < FRAME_HEADER_SIZE) {
      used = Math.min(FRAME_HEADER_SIZE - this.#partialLength, chunk.length);
      this.#partial.set(chunk.subarray(0, used), this.#partialLength);
      this.#partialLength += used;
      if (this.#partialLength < FRAME_HEADER_SIZE) return chunk.subarray(used);
    }
    const header = readFrameHeader(this.#partial, 0);
    checkFrameHeader(header);
    const total = FRAME_HEADER_SIZE + header.length;
    const take = Math.min(total - this.#partialLength, chunk.length - used);
    this.#partial.set(chunk.subarray(used, used + take), this.#partialLength);
    this.#partialLength += take;
    used += take;
    if (this.#partialLength === total) {
      this.#partialLength = 0;
      const left = this.#drain(this.#partial.subarray(0, total));
      if (left.length !== 0) throw new Error("FrameReceiver: a whole frame was not consumed");
    }
    return chunk.subarray(used);
  }

  /** Consumes every complete frame of `bytes`; returns the incomplete tail. */
  #drain(bytes: Uint8Array): Uint8Array {
    let view = bytes;
    while (view.length > 0) {
      this.stats[WriteStat.SpoofedFamily] = 0n; // a writer that reports nothing leaves it so
      const consumed = this.writer.writeFrames(view, this.filter, this.stats);
      if (this.#onSpoofed && this.stats[WriteStat.SpoofedFamily] !== 0n) {
        this.#onSpoofed(spoofedSource(this.stats)!);
      }
      view = view.subarray(consumed);
      const status = Number(this.stats[WriteStat.Status]);
      if (status === WriteStatus.NeedMore) return view;
      if (status === WriteStatus.BadFrame) {
        const { length } = readFrameHeader(view, 0);
        throw new FrameError(
          `data frame declares ${length} bytes, above the limit ${FRAME_MAX_PAYLOAD}`,
        );
      }
      if (status === WriteStatus.BadGso) {
        throw new FrameError("offloaded packet frame received, but offloads were not negotiated");
      }
      const frame = decodeFrameAt(view, 0);
      if (frame === undefined) return view;
      this.#onControl(frame);
      view = view.subarray(FRAME_HEADER_SIZE + frame.payload.length);
    }
    return view;
  }

  #keep(tail: Uint8Array): void {
    if (tail.length >= FRAME_HEADER_SIZE) checkFrameHeader(readFrameHeader(tail, 0));
    if (tail.length > 0) this.#partial.set(tail, 0);
    this.#partialLength = tail.length;
  }
}
