import type { TunLibrary } from "./ffi.ts";
import { loadTunLibrary } from "./native_library.ts";

/** What framesWithoutOffload did: bytes of input consumed, bytes of output written. */
export interface ConversionResult {
  readonly consumed: number;
  readonly written: number;
}

/** Indexes of the counters framesWithoutOffload accumulates into. */
export const ConversionCounter = { Converted: 0, Dropped: 1 } as const;

const outLength = new Uint32Array(1);

/**
 * Rewrites the PacketGso frames of `input` as plain Packet frames for a peer without offloads:
 * TCP and UDP super-packets are segmented at their gso_size, checksums are completed. Packet
 * frames are copied. Stops before a frame whose conversion does not fit into `output`.
 * Pure computation in the native shim; no device is involved.
 */
export function framesWithoutOffload(
  input: Uint8Array,
  output: Uint8Array,
  counters: BigUint64Array,
  lib: TunLibrary = loadTunLibrary(),
): ConversionResult {
  const consumed = lib.symbols.sss_frames_without_offload(
    input,
    input.length,
    output,
    output.length,
    outLength,
    counters,
  );
  return { consumed, written: outLength[0]! };
}
