/**
 * The facade of native/gso.c: plain frames for a peer without offloads (TCP/UDP super-packets
 * segmented, partial checksums completed); src/tun/offload.ts converts a batch with it.
 *
 * @module
 */
import type { NativeShim } from "./symbols.ts";

/** The functions of native/gso.c (the loaded NativeLibrary is one). */
export type GsoSymbols = NativeShim<"sss_frames_without_offload">;

/** Indexes of the counters sss_frames_without_offload adds to (native/gso.h SSS_PLAIN_*). */
export const PlainCounter = {
  /** Packet frames produced from super-packets. */
  Segments: 0,
  /** Offloaded packets that could not be converted (unsupported type). */
  Dropped: 1,
} as const;
