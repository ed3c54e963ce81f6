/** RLIMIT_NOFILE on Linux (x86_64 and aarch64 alike). */
const RLIMIT_NOFILE = 7;

/**
 * The soft open-file limit of this process, from getrlimit(2) in libc; undefined if it cannot be
 * read. Not from /proc/self/limits: Deno refuses every read under /proc/self (and /proc/PID) to
 * a process without --allow-all, which the product never has.
 */
export function readFileLimit(): number | undefined {
  let libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
    });
  } catch {
    return undefined;
  }
  try {
    const limits = new BigUint64Array(2); // struct rlimit { rlim_cur, rlim_max }
    if (libc.symbols.getrlimit(RLIMIT_NOFILE, limits) !== 0) return undefined;
    const soft = limits[0]!;
    return soft > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(soft);
  } finally {
    libc.close();
  }
}
