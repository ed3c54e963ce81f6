/**
 * The facade of native/gso.c: plain frames for a peer without offloads (TCP/UDP super-packets
 * segmented, partial checksums completed); src/tun/offload.ts converts a batch with it.
 *
 * @module
 */
import type { NativeShim } from "./symbols.ts";

/** The functions of native/gso.c (the loaded NativeLibrary is one). */
export type GsoSymbols = NativeShim<"sss_frames_without_offload">;
