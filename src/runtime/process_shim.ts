/**
 * The process part of the native shim (native/process.c): sd_notify's datagram, the open
 * descriptor count and limit, the monotonic clock. Opened from the same library file as the TUN
 * shim, with only these symbols, so nothing here depends on the device code.
 *
 * @module
 */

import { nativeLibraryCandidates } from "../native/library.ts";

export const processSymbols = {
  sss_notify: {
    // int32_t (const char *path, const uint8_t *msg, uint32_t len)
    parameters: ["buffer", "buffer", "u32"],
    result: "i32",
  },
  sss_open_fds: {
    // int32_t (void)
    parameters: [],
    result: "i32",
  },
  sss_max_fds: {
    // int64_t (void)
    parameters: [],
    result: "i64",
  },
  sss_monotonic_usec: {
    // uint64_t (void)
    parameters: [],
    result: "u64",
  },
} as const satisfies Deno.ForeignLibraryInterface;

export type ProcessLibrary = Deno.DynamicLibrary<typeof processSymbols>;

/** What the program uses of the shim's process functions. */
export interface ProcessShim {
  /** Sends one datagram to a unix socket path (`@name` for an abstract one); 0 or -errno. */
  notify(path: string, message: string): number;
  /** Open descriptors, or undefined when they cannot be counted. */
  openFds(): number | undefined;
  maxFds(): number | undefined;
  monotonicUsec(): bigint;
}

/** Opens the shim's process functions; undefined when the library file is not found. */
export function loadProcessShim(candidates = nativeLibraryCandidates()): ProcessShim | undefined {
  for (const path of candidates) {
    let lib: ProcessLibrary;
    try {
      lib = Deno.dlopen(path, processSymbols);
    } catch {
      continue;
    }
    return wrap(lib);
  }
  return undefined;
}

function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

function wrap(lib: ProcessLibrary): ProcessShim {
  const { symbols } = lib;
  return {
    notify(path, message) {
      const bytes = new TextEncoder().encode(message);
      return symbols.sss_notify(cString(path), bytes, bytes.length);
    },
    openFds() {
      const n = symbols.sss_open_fds();
      return n < 0 ? undefined : n;
    },
    maxFds() {
      const n = Number(symbols.sss_max_fds());
      return n < 0 ? undefined : n;
    },
    monotonicUsec: () => BigInt(symbols.sss_monotonic_usec()),
  };
}
