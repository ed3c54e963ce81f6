/**
 * node:tls hands every received chunk over in a fresh Buffer. The Buffers are garbage at once,
 * but their small wrapper objects barely touch V8's young generation, so at a gigabit V8 lets
 * hundreds of megabytes of dead chunk memory pile up before it collects. When the runtime exposes
 * gc() (every SSSonector process runs with --expose-gc, see v8_flags.ts), a minor collection
 * after every GARBAGE_BUDGET bytes received keeps that bounded. Measured side by side (offloads on, iperf3
 * both ways): 32 MiB gave 175 MB peak RSS, 8 MiB 130 MB, 2 MiB 115-120 MB and the fastest
 * downloads, 512 KiB no less memory and slightly slower.
 */
export const GARBAGE_BUDGET = 2 * 1024 * 1024;

type Gc = (options?: { type?: "minor" | "major" }) => void;
const gc = (globalThis as unknown as { gc?: Gc }).gc;
let sinceCollection = 0;

/** Notes `bytes` of short-lived received data; collects when the budget is used up. */
export function noteReceivedGarbage(bytes: number): void {
  sinceCollection += bytes;
  if (sinceCollection < GARBAGE_BUDGET) return;
  sinceCollection = 0;
  gc?.({ type: "minor" });
}
