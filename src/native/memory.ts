/**
 * The facade of native/memory.c: glibc's heap figures and malloc_trim. Bound while FFI is still
 * permitted (before the permissions are revoked); the symbols keep running after.
 *
 * @module
 */
import type { NativeShim } from "./symbols.ts";

/** The functions of native/memory.c (the loaded NativeLibrary is one). */
export type MemorySymbols = NativeShim<
  "sss_malloc_trim" | "sss_malloc_trim_nonblocking" | "sss_malloc_tune" | "sss_malloc_info"
>;

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

/** glibc's allocator settings (mallopt); a field left out keeps glibc's default. */
export interface AllocatorSettings {
  /** M_ARENA_MAX: arenas at most (glibc's default: 8 per core). */
  readonly arenaMax?: number;
  /** M_TRIM_THRESHOLD: free bytes at an arena's top given back at once by free(). */
  readonly trimThreshold?: number;
  /** M_MMAP_THRESHOLD: allocations this large get their own mapping, unmapped when freed. */
  readonly mmapThreshold?: number;
}

export interface MemoryShim {
  /**
   * malloc_trim(0) on the calling thread; true when memory was released. It holds up the caller
   * as long as it madvises: 0.5 s for a 110 MB fragmented heap (trimInBackground does not).
   */
  trim(): boolean;
  /**
   * malloc_trim(0) on a worker thread: the event loop runs on meanwhile (held up only while it
   * allocates from the arena being trimmed: at most 53 ms in the same measurement).
   */
  trimInBackground(): Promise<boolean>;
  /** Applies `settings` (mallopt); false when glibc refused one. */
  tune(settings: AllocatorSettings): boolean;
  heap(): HeapFigures;
}

/** The memory functions of the loaded shim. */
export function memoryShim(lib: MemorySymbols): MemoryShim {
  const out = new BigUint64Array(4);
  return {
    trim: () => lib.symbols.sss_malloc_trim() === 1,
    trimInBackground: async () => (await lib.symbols.sss_malloc_trim_nonblocking()) === 1,
    tune: (settings) =>
      lib.symbols.sss_malloc_tune(
        settings.arenaMax ?? -1,
        settings.trimThreshold ?? -1,
        settings.mmapThreshold ?? -1,
      ) === 1,
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
