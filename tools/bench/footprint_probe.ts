/**
 * One layer of `bench --footprint` (tools/bench/footprint.ts): imports the modules named on the
 * command line (evaluating them, as a process that runs them would), collects garbage, and prints
 * its own memory as one JSON line (a ProbeResult). Started as its own Deno process per layer.
 *
 * @module
 */

import { parseSmapsRollup } from "./proc_stat.ts";

/** What one probe reports: smaps_rollup's figures and V8's own (Deno.memoryUsage), in KiB. */
export interface ProbeResult {
  readonly rssKiB: number;
  readonly pssKiB: number;
  readonly privateKiB: number;
  readonly heapUsedKiB: number;
  readonly heapTotalKiB: number;
  readonly externalKiB: number;
}

type Gc = (options?: { type?: "minor" | "major" }) => void;

if (import.meta.main) {
  for (const specifier of Deno.args) await import(specifier);
  const gc = (globalThis as unknown as { gc?: Gc }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.({ type: "major" });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const memory = parseSmapsRollup(await Deno.readTextFile("/proc/self/smaps_rollup"));
  const usage = Deno.memoryUsage();
  const result: ProbeResult = {
    ...memory,
    heapUsedKiB: Math.round(usage.heapUsed / 1024),
    heapTotalKiB: Math.round(usage.heapTotal / 1024),
    externalKiB: Math.round(usage.external / 1024),
  };
  console.log(JSON.stringify(result));
  // Modules that started timers or listeners must not keep the probe alive.
  Deno.exit(0);
}
