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

/** The flags as one `--v8-flags=` argument for `deno run` and `deno compile`. */
export function v8FlagsArgument(): string {
  return `--v8-flags=${V8_FLAGS.join(",")}`;
}
