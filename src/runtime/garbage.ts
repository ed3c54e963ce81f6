/**
 * node:tls hands every received chunk over in a fresh Buffer. The Buffers are garbage at once, but
 * their small wrapper objects barely touch V8's young generation, so at a gigabit V8 lets hundreds
 * of megabytes of dead chunk memory pile up before it collects. When the runtime exposes gc()
 * (every SSSonector process runs with --expose-gc, see v8_flags.ts), a minor collection after every
 * GARBAGE_BUDGET bytes received keeps that bounded. Measured side by side (offloads on, iperf3 both
 * ways): 32 MiB gave 175 MB peak RSS, 8 MiB 130 MB, 2 MiB 115-120 MB and the fastest downloads, 512
 * KiB no less memory and slightly slower. Measured again with the single-threaded GC of v8_flags.ts
 * (bench --quick --rounds 2, twice each): 512 KiB, 1 MiB and 2 MiB alike (c->s 2.5-3.7 Gbit/s,
 * 84-90 MiB), but 4 MiB cut c->s to 1.1 Gbit/s and 8 MiB to 1.3-1.6, every time: the budget sits
 * below a cliff, so raise it only with a side-by-side run.
 */
export const GARBAGE_BUDGET = 2 * 1024 * 1024;

type Gc = (options?: { type?: "minor" | "major" }) => void;

/**
 * Counts short-lived received bytes and runs a minor collection after every GARBAGE_BUDGET of
 * them. One per stream (no module-level state): with several busy streams, dead chunk memory is
 * bounded by streams x GARBAGE_BUDGET.
 */
export class ReceivedGarbage {
  #since = 0;
  #gc: Gc | undefined;

  constructor(gc: Gc | undefined = (globalThis as unknown as { gc?: Gc }).gc) {
    this.#gc = gc;
  }

  /** Notes `bytes` of short-lived received data; collects when the budget is used up. */
  note(bytes: number): void {
    this.#since += bytes;
    if (this.#since < GARBAGE_BUDGET) return;
    this.#since = 0;
    this.#gc?.({ type: "minor" });
  }
}
