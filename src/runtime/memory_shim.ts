/**
 * The memory part of the native shim (native/memory.c): glibc's heap figures and malloc_trim.
 * Opened from the same library file as the TUN shim, with only these symbols (as process_shim.ts
 * does), while FFI is still permitted: before the permissions are revoked.
 *
 * @module
 */
import { nativeLibraryCandidates } from "../native/library.ts";

const memorySymbols = {
  sss_malloc_trim: {
    // int32_t (void)
    parameters: [],
    result: "i32",
  },
  sss_malloc_info: {
    // void (uint64_t *out)
    parameters: ["buffer"],
    result: "void",
  },
} as const satisfies Deno.ForeignLibraryInterface;

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
  /** malloc_trim(0); true when memory was released. */
  trim(): boolean;
  heap(): HeapFigures;
}

/** Opens the shim's memory functions; undefined when the library file is not found. */
export function loadMemoryShim(candidates = nativeLibraryCandidates()): MemoryShim | undefined {
  for (const path of candidates) {
    let lib: Deno.DynamicLibrary<typeof memorySymbols>;
    try {
      lib = Deno.dlopen(path, memorySymbols);
    } catch {
      continue;
    }
    const out = new BigUint64Array(4);
    return {
      trim: () => lib.symbols.sss_malloc_trim() === 1,
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
  return undefined;
}

type Gc = (options?: { type?: "minor" | "major" }) => void;

/**
 * What the door runs once a flood has passed: a major V8 collection (the connections' objects and
 * buffers), then malloc_trim (the native memory glibc keeps in its arenas otherwise).
 */
export function reclaimAfterFlood(
  shim: MemoryShim | undefined = loadMemoryShim(),
  gc: Gc | undefined = (globalThis as unknown as { gc?: Gc }).gc,
): () => void {
  return () => {
    gc?.({ type: "major" });
    shim?.trim();
  };
}
