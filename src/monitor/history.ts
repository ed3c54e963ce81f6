/**
 * The monitor's memory of the last minutes: the throughput of the whole process, one point per
 * sample, in a fixed ring, and each live session's current rate. Opening the status page (or
 * running `sssonector status`) therefore shows the last minutes at once, instead of starting
 * from nothing.
 *
 * Bounds: the ring holds `capacity` points of three float64s (time, bits/s in, bits/s out):
 * 600 points = 14,400 bytes, allocated once. The per-session rates hold five numbers per live
 * session, and a session leaves with the first sample that no longer lists it, so they are bounded
 * by the sessions the server admits (max_clients). Pure: the caller samples on its own clock.
 *
 * @module
 */

/** The counters one sample reads; a subset of `CountersSnapshot`. */
export interface HistorySample {
  /** ms since the epoch. */
  readonly takenAt: number;
  readonly totals: { readonly bytesIn: number; readonly bytesOut: number };
  readonly sessions: readonly {
    readonly peerName: string;
    readonly remote: string;
    readonly since: number;
    readonly traffic: { readonly bytesIn: number; readonly bytesOut: number };
  }[];
}

/** A rate each way, in bits per second. */
export interface Rate {
  readonly in: number;
  readonly out: number;
}

/** One point of the throughput history. */
export interface HistoryPoint extends Rate {
  /** ms since the epoch, the end of the interval the rate is measured over. */
  readonly t: number;
}

export interface TrafficHistoryOptions {
  /** Points kept. @default 600 (10 minutes at one sample a second) */
  readonly capacity?: number;
}

/** Fields of one point in the ring. */
const STRIDE = 3;

interface SessionMark {
  at: number;
  bytesIn: number;
  bytesOut: number;
  rate: Rate | undefined;
}

export class TrafficHistory {
  readonly capacity: number;
  readonly #ring: Float64Array;
  #start = 0;
  #length = 0;
  #last: { at: number; bytesIn: number; bytesOut: number } | undefined;
  readonly #sessions = new Map<string, SessionMark>();

  constructor(options: TrafficHistoryOptions = {}) {
    this.capacity = options.capacity ?? 600;
    if (!Number.isSafeInteger(this.capacity) || this.capacity < 2) {
      throw new RangeError(`History capacity must be 2 or more: got ${this.capacity}`);
    }
    this.#ring = new Float64Array(this.capacity * STRIDE);
  }

  /** Bytes the ring takes; fixed at construction. */
  get ringBytes(): number {
    return this.#ring.byteLength;
  }

  /** Adds a sample: a point for the interval since the previous one, and the sessions' rates. */
  record(sample: HistorySample): void {
    const { takenAt, totals } = sample;
    const last = this.#last;
    if (last !== undefined && takenAt > last.at) {
      this.#push({
        t: takenAt,
        in: rate(totals.bytesIn - last.bytesIn, takenAt - last.at),
        out: rate(totals.bytesOut - last.bytesOut, takenAt - last.at),
      });
    }
    if (last === undefined || takenAt > last.at) {
      this.#last = { at: takenAt, bytesIn: totals.bytesIn, bytesOut: totals.bytesOut };
    }
    const seen = new Set<string>();
    for (const session of sample.sessions) {
      const key = sessionKey(session);
      seen.add(key);
      const mark = this.#sessions.get(key);
      const { bytesIn, bytesOut } = session.traffic;
      if (mark === undefined) {
        this.#sessions.set(key, { at: takenAt, bytesIn, bytesOut, rate: undefined });
      } else if (takenAt > mark.at) {
        const ms = takenAt - mark.at;
        mark.rate = {
          in: rate(bytesIn - mark.bytesIn, ms),
          out: rate(bytesOut - mark.bytesOut, ms),
        };
        mark.at = takenAt;
        mark.bytesIn = bytesIn;
        mark.bytesOut = bytesOut;
      }
    }
    for (const key of this.#sessions.keys()) if (!seen.has(key)) this.#sessions.delete(key);
  }

  /** The points, oldest first. */
  points(): HistoryPoint[] {
    const points: HistoryPoint[] = [];
    for (let i = 0; i < this.#length; i++) {
      const at = ((this.#start + i) % this.capacity) * STRIDE;
      points.push({ t: this.#ring[at]!, in: this.#ring[at + 1]!, out: this.#ring[at + 2]! });
    }
    return points;
  }

  /** The newest point's rates; undefined before two samples. */
  latest(): Rate | undefined {
    if (this.#length === 0) return undefined;
    const at = ((this.#start + this.#length - 1) % this.capacity) * STRIDE;
    return { in: this.#ring[at + 1]!, out: this.#ring[at + 2]! };
  }

  /** A live session's rate over the last interval; undefined until it was sampled twice. */
  sessionRate(session: HistorySample["sessions"][number]): Rate | undefined {
    return this.#sessions.get(sessionKey(session))?.rate;
  }

  #push(point: HistoryPoint): void {
    let index: number;
    if (this.#length < this.capacity) {
      index = (this.#start + this.#length) % this.capacity;
      this.#length++;
    } else {
      // Full: the oldest point makes room.
      index = this.#start;
      this.#start = (this.#start + 1) % this.capacity;
    }
    const at = index * STRIDE;
    this.#ring[at] = point.t;
    this.#ring[at + 1] = point.in;
    this.#ring[at + 2] = point.out;
  }
}

/** Bits per second for `bytes` over `ms`; a counter that went back (never expected) reads 0. */
function rate(bytes: number, ms: number): number {
  return bytes <= 0 ? 0 : bytes * 8 * 1000 / ms;
}

/** A session is its peer, remote address and start: a reconnect is a new session. */
function sessionKey(session: { peerName: string; remote: string; since: number }): string {
  return `${session.peerName}\n${session.remote}\n${session.since}`;
}
