/**
 * The facade of native/process.c: sd_notify's datagram, the open descriptor count and limit, the
 * monotonic clock (Deno refuses /proc/self without --allow-all, which the product never has).
 *
 * @module
 */
import type { NativeShim } from "./symbols.ts";

/** The functions of native/process.c (the loaded NativeLibrary is one). */
export type ProcessSymbols = NativeShim<
  "sss_notify" | "sss_open_fds" | "sss_max_fds" | "sss_monotonic_usec"
>;

/** What the program uses of the shim's process functions. */
export interface ProcessShim {
  /** Sends one datagram to a unix socket path (`@name` for an abstract one); 0 or -errno. */
  notify(path: string, message: string): number;
  /** Open descriptors, or undefined when they cannot be counted. */
  openFds(): number | undefined;
  /** The soft RLIMIT_NOFILE, from getrlimit(2); undefined when it cannot be read. */
  maxFds(): number | undefined;
  monotonicUsec(): bigint;
}

function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** The process functions of the loaded shim. */
export function processShim(lib: ProcessSymbols): ProcessShim {
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
