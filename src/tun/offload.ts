import { type GsoSymbols, PlainCounter } from "../native/gso.ts";

/** What one conversion did: bytes of input consumed, bytes of output written. */
export interface ConversionResult {
  readonly consumed: number;
  readonly written: number;
}

/** Totals since the converter was made. */
export interface ConversionCounters {
  /** Offloaded packets turned into Packet frames (a super-packet counts once). */
  readonly converted: number;
  /** Offloaded packets that could not be converted (unsupported type) and were dropped. */
  readonly dropped: number;
}

/** Turns frames for a peer without offloads (OffloadConverter in production, fakes in tests). */
export interface FrameConverter {
  convert(input: Uint8Array, output: Uint8Array): ConversionResult;
  readonly counters: ConversionCounters;
}

/**
 * Rewrites the PacketGso frames that a TUN device with offloads reads as plain Packet frames, for
 * a peer without offloads: TCP and UDP super-packets are segmented at their gso_size, checksums
 * are completed, Packet frames are copied. Pure computation in the native shim (native/gso.c); no
 * device is involved. Each converter owns its scratch and counters: one per reader, not shared
 * between concurrent callers.
 */
export class OffloadConverter implements FrameConverter {
  #lib: GsoSymbols;
  #outLength = new Uint32Array(1);
  #counters = new BigUint64Array(2);

  constructor(lib: GsoSymbols) {
    this.#lib = lib;
  }

  /**
   * Converts the frames of `input` into `output`, stopping before an incomplete frame or one
   * whose conversion does not fit (`consumed` tells how far it got).
   */
  convert(input: Uint8Array, output: Uint8Array): ConversionResult {
    // Never negative: the shim's contract is bytes consumed, 0 when nothing fits.
    const consumed = this.#lib.symbols.sss_frames_without_offload(
      input,
      input.length,
      output,
      output.length,
      this.#outLength,
      this.#counters,
    );
    return { consumed, written: this.#outLength[0]! };
  }

  get counters(): ConversionCounters {
    return {
      converted: Number(this.#counters[PlainCounter.Segments]),
      dropped: Number(this.#counters[PlainCounter.Dropped]),
    };
  }
}
