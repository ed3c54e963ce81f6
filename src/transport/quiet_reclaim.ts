/**
 * Gives memory back after a flood at the door. A crowd of connections grows the heap (V8's, and
 * glibc's arenas under the TLS layer) and neither returns it by itself once the crowd is gone. So
 * the door counts what it accepts, and once at least `afterAccepts` have come since the last time
 * and a `windowMs` window then passes with fewer than `quietBelow`, it runs `reclaim` (a major
 * collection and malloc_trim, see src/runtime/reclaim.ts). Costs one timer; runs at most once
 * per window, and only after a flood.
 *
 * @module
 */

export interface QuietReclaimOptions {
  /** What to run once a flood has passed. */
  readonly reclaim: () => void;
  /** @default 5000 */
  readonly windowMs?: number;
  /** A window with fewer accepts than this is quiet. @default 16 */
  readonly quietBelow?: number;
  /** Accepts since the last reclaim that make a flood. @default 256 */
  readonly afterAccepts?: number;
}

export class QuietReclaim implements Disposable {
  #options: QuietReclaimOptions;
  #sinceReclaim = 0;
  #inWindow = 0;
  #timer: ReturnType<typeof setInterval>;
  #runs = 0;

  constructor(options: QuietReclaimOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.#tick(), options.windowMs ?? 5000);
    Deno.unrefTimer(this.#timer);
  }

  /** Times reclaim has run. */
  get runs(): number {
    return this.#runs;
  }

  /** One connection accepted. */
  accepted(): void {
    this.#sinceReclaim++;
    this.#inWindow++;
  }

  #tick(): void {
    const quiet = this.#inWindow < (this.#options.quietBelow ?? 16);
    this.#inWindow = 0;
    if (!quiet || this.#sinceReclaim < (this.#options.afterAccepts ?? 256)) return;
    this.#sinceReclaim = 0;
    this.#runs++;
    this.#options.reclaim();
  }

  [Symbol.dispose](): void {
    clearInterval(this.#timer);
  }
}
