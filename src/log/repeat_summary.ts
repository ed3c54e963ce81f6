/**
 * Rate limiting for log lines about repeated events (refused handshakes from strangers, a client
 * that keeps reconnecting): the first occurrence of each key in a window is logged in full, the
 * rest only counted, and at the end of the window the counts come out as a few summary lines.
 * Pure logic with an injected clock; the caller logs.
 */

export interface RepeatSummaryOptions {
  /** @default 60000 */
  readonly windowMs?: number;
  /** Keys tracked in a window; further keys are counted together. @default 1024 */
  readonly maxKeys?: number;
  /** Full lines per window across all keys; later first occurrences are only counted. @default 20 */
  readonly fullLinesPerWindow?: number;
  /** Summary lines per window before the rest are folded into one. @default 10 */
  readonly maxSummaryLines?: number;
}

/** Counted, not logged, occurrences of one key in the window that ended. */
export interface Suppressed {
  /** The key, or undefined for the line that folds many keys together. */
  readonly key: string | undefined;
  readonly count: number;
  /** How many keys the line stands for (1 unless folded). */
  readonly keys: number;
}

/** Key used for events beyond maxKeys. */
const OVERFLOW = "\0overflow";

export class RepeatSummary {
  readonly windowMs: number;
  #maxKeys: number;
  #fullLines: number;
  #maxSummaryLines: number;
  #clock: () => number;
  #windowStart: number;
  #seen = new Map<string, number>();
  #fullLinesUsed = 0;

  constructor(options: RepeatSummaryOptions = {}, clock: () => number = Date.now) {
    this.windowMs = options.windowMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 1024;
    this.#fullLines = options.fullLinesPerWindow ?? 20;
    this.#maxSummaryLines = options.maxSummaryLines ?? 10;
    this.#clock = clock;
    this.#windowStart = clock();
  }

  /** Notes one occurrence of `key`; true when it is to be logged in full. */
  note(key: string): boolean {
    let tracked = key;
    if (!this.#seen.has(key) && this.#seen.size >= this.#maxKeys) tracked = OVERFLOW;
    const before = this.#seen.get(tracked);
    if (before === undefined && tracked !== OVERFLOW && this.#fullLinesUsed < this.#fullLines) {
      this.#fullLinesUsed++;
      this.#seen.set(tracked, 0);
      return true;
    }
    this.#seen.set(tracked, (before ?? 0) + 1);
    return false;
  }

  /** Whether the current window has ended (call flush() then). */
  due(): boolean {
    return this.#clock() - this.#windowStart >= this.windowMs;
  }

  /** Ends the window: returns what was counted and not logged, and starts a new window. */
  flush(): Suppressed[] {
    const counted = [...this.#seen].filter(([, count]) => count > 0);
    this.#seen.clear();
    this.#fullLinesUsed = 0;
    this.#windowStart = this.#clock();
    counted.sort((a, b) => b[1] - a[1]);
    const lines: Suppressed[] = [];
    let foldedCount = 0;
    let foldedKeys = 0;
    for (const [key, count] of counted) {
      if (key !== OVERFLOW && lines.length < this.#maxSummaryLines - 1) {
        lines.push({ key, count, keys: 1 });
      } else {
        foldedCount += count;
        foldedKeys += key === OVERFLOW ? 0 : 1;
      }
    }
    if (foldedCount > 0) lines.push({ key: undefined, count: foldedCount, keys: foldedKeys });
    return lines;
  }
}
