/**
 * What the door runs once a flood has passed (src/transport/quiet_reclaim.ts decides when).
 *
 * @module
 */
import type { MemoryShim } from "../native/memory.ts";

type Gc = (options?: { type?: "minor" | "major" }) => void;

/**
 * A major V8 collection (the connections' objects and buffers), then malloc_trim through the
 * shim (the native memory glibc keeps in its arenas otherwise), off the JS thread: the returned
 * function does not wait for it.
 */
export function reclaimAfterFlood(
  shim: MemoryShim | undefined,
  gc: Gc | undefined = (globalThis as unknown as { gc?: Gc }).gc,
): () => void {
  return () => {
    gc?.({ type: "major" });
    void shim?.trim();
  };
}
