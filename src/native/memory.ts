/**
 * The facade of native/memory.c: glibc's heap figures and malloc_trim. Bound while FFI is still
 * permitted (before the permissions are revoked); the symbols keep running after.
 *
 * @module
 */
import type { NativeShim } from "./symbols.ts";

/** The functions of native/memory.c (the loaded NativeLibrary is one). */
export type MemorySymbols = NativeShim<"sss_malloc_trim" | "sss_malloc_info">;

/** glibc's heap, in bytes. */
export interface HeapFigures {
  /** Obtained from the system for the arenas (sbrk and per-thread arena mmaps). */
  readonly arenas: number;
  /** In chunks mmapped on their own. */
  readonly mmapped: number;
  readonly inUse: number;
  /** Free inside the arenas: what malloc_trim may give back. */
  readonly free: number;
}

export interface MemoryShim {
  /**
   * malloc_trim(0) on a thread of the runtime's pool, resolving true when memory was released. On
   * a fragmented heap of 100 MB it takes half a second; on the JS thread that stalled every
   * session (the loop's lateness 0.52 s, 53 ms at most this way).
   */
  trim(): Promise<boolean>;
  heap(): HeapFigures;
}

/** The memory functions of the loaded shim. */
export function memoryShim(lib: MemorySymbols): MemoryShim {
  const out = new BigUint64Array(4);
  return {
    trim: async () => (await lib.symbols.sss_malloc_trim()) === 1,
    heap: () => {
      lib.symbols.sss_malloc_info(out);
      const [arenas, mmapped, inUse, free] = [...out].map(Number) as [
        number,
        number,
        number,
        number,
      ];
      return { arenas, mmapped, inUse, free };
    },
  };
}
