/**
 * V8 flags every SSSonector process runs with: the checkout launcher (`./sssonector`, which keeps
 * its own copy of this list; tests/unit/v8_flags_test.ts holds the two equal), the demo's and the
 * benchmark's child processes, and the binary `deno compile` makes.
 *
 * - `--expose-gc`: src/runtime/garbage.ts collects received-chunk garbage as it is made.
 * - `--single-threaded-gc` and `--optimize-for-size`: measured side by side in one lab (iperf3
 *   6 s each way, two runs each, offloads on): peak RSS 88-90 MiB per process against 116-119
 *   without them, 100-105 with the first alone, at equal or better throughput. On two cores the
 *   GC helper threads compete with the tunnel itself.
 */
export const V8_FLAGS = ["--expose-gc", "--single-threaded-gc", "--optimize-for-size"] as const;

/**
 * Deno's own flag every SSSonector process runs with, beside the V8 flags (the launcher, the
 * offline bundle's entry script, `deno compile` and the tools' children).
 *
 * `--no-code-cache`: with its V8 code cache Deno compiles every function of every module when the
 * cache is written and deserialises them all when it is read, where without it V8 compiles a
 * function only when it first runs; a long-running tunnel runs a small part of its code. Measured
 * (docs/performance.md, one idle server and client): 83-85 MiB RSS and 34-37 MiB private with the
 * cache, 77-79 and 32-34 without; and 105 MiB RSS and 72 MiB private when the cache folder is
 * read-only (the installed package under systemd's ProtectSystem=strict), as the cache is then
 * made at every start and never kept. Starting is faster without it too (410-460 ms against
 * 620-660 for --check-config).
 */
export const CODE_CACHE_FLAG = "--no-code-cache";

/** The flags as one `--v8-flags=` argument for `deno run` and `deno compile`. */
export function v8FlagsArgument(): string {
  return `--v8-flags=${V8_FLAGS.join(",")}`;
}
