/**
 * What the in-process memory tools (door_memory.ts, tls_flood_memory.ts) share: V8's collector as
 * `--v8-flags=--expose-gc` exposes it, the shim's glibc heap figures and malloc_trim when the
 * library is built, and the process's figures every stage of theirs starts with, in MiB.
 *
 * @module
 */
import { type MemoryShim, memoryShim } from "../../src/native/memory.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";

/** Bytes in MiB, one decimal. */
export const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** V8's gc(); throws, naming the flag, when the tool was started without it. */
export function exposedGc(): (options?: { type?: "major" }) => void {
  const gc = (globalThis as unknown as { gc?: (o?: { type?: "major" }) => void }).gc;
  if (!gc) throw new Error("run with --v8-flags=--expose-gc");
  return gc;
}

/** The shim's memory functions when the library is built, else undefined (figures without glibc's). */
export function memoryShimIfBuilt(): MemoryShim | undefined {
  try {
    return memoryShim(loadNativeLibrary());
  } catch {
    return undefined;
  }
}

/** The process's resident set and V8's heap (used, total, external), in MiB. */
export function processFigures() {
  const m = Deno.memoryUsage();
  return {
    rss: mib(m.rss),
    heapUsed: mib(m.heapUsed),
    heapTotal: mib(m.heapTotal),
    external: mib(m.external),
  };
}
