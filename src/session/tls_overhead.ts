/**
 * Bounds what a peer's TLS layer alone may cost us. TLS 1.3 KeyUpdate requests, empty or tiny
 * records and records full of padding are handled inside the runtime's TLS (rustls), invisible
 * to the frame budget: rustls refuses only more than 32 KeyUpdates in a row, so a peer that
 * interleaves them with data, or sends its data one byte a record, keeps the server's TLS busy
 * (and, when it does not read, makes rustls queue the KeyUpdate answers) without limit.
 *
 * What is visible: the bytes the carrier received (TCP_INFO's tcpi_bytes_received, less what is
 * still unread in the receive queue) against the plaintext TLS delivered and the frames in it.
 * An honest peer's records each carry at least one whole frame or a full 16 KiB of plaintext
 * (our senders write whole frames, batched; TLS cuts a write only at 16 KiB), so its TLS
 * overhead is at most RECORD_OVERHEAD_MAX bytes per frame plus one per 16 KiB. Anything above
 * that is TLS-level junk: KeyUpdates, empty, tiny or padded records. Junk is held in a leaky
 * bucket: JUNK_RATE bytes a second forever (about 300 junk records a second: far above the rare
 * KeyUpdate an honest TLS stack sends), JUNK_BURST at once (covering what the runtime has
 * read and not yet delivered); a peer above it is closed. Pure: the session feeds samples.
 *
 * @module
 */

/** The most a TLS record adds to its plaintext: TLS 1.2 AES-GCM's 5 + 8 + 16 bytes (1.3: 22). */
export const RECORD_OVERHEAD_MAX = 29;
/** Largest plaintext of one TLS record. */
export const RECORD_PLAINTEXT_MAX = 16 * 1024;
/** Junk bytes a second a peer may send for good (~300 KeyUpdates or empty records). */
export const JUNK_RATE = 8 * 1024;
/**
 * Junk bytes a peer may be ahead of that rate (~39,000 KeyUpdates): far above what the runtime
 * may have read from the socket and not yet delivered (one read, ~64 KiB, and a record in rustls).
 */
export const JUNK_BURST = 1024 * 1024;

/** Cumulative counts of one connection, read together. */
export interface OverheadSample {
  /** Bytes the carrier received and the process has read (TLS records, as they came). */
  readonly wireBytes: number;
  /** Plaintext bytes TLS delivered to the session. */
  readonly plainBytes: number;
  /** Frames the session took from that plaintext that an honest peer sends (not malformed). */
  readonly frames: number;
}

/** Why a peer is closed: the junk seen and over how long. */
export interface OverheadVerdict {
  readonly junkBytes: number;
  readonly seconds: number;
  readonly message: string;
}

export class TlsOverheadGuard {
  #last: OverheadSample | undefined;
  #firstAt = 0;
  #lastAt = 0;
  /**
   * The bucket: junk not yet drained. An interval with less overhead than allowed lowers it (the
   * runtime delivering plaintext it had read before), but never below empty: unused allowance is
   * not saved up.
   */
  #level = 0;
  #junk = 0;
  #frames = 0;
  #plain = 0;

  /**
   * Takes a sample at `nowMs`; returns a verdict once the peer's junk overflows the bucket. The
   * first sample is the baseline (the handshake and what came before it are not counted).
   */
  observe(sample: OverheadSample, nowMs: number): OverheadVerdict | undefined {
    const last = this.#last;
    this.#last = sample;
    if (last === undefined) {
      this.#firstAt = this.#lastAt = nowMs;
      return undefined;
    }
    const wire = sample.wireBytes - last.wireBytes;
    const plain = sample.plainBytes - last.plainBytes;
    const frames = sample.frames - last.frames;
    const honest = plain + RECORD_OVERHEAD_MAX * (frames + Math.ceil(plain / RECORD_PLAINTEXT_MAX));
    const elapsed = Math.max(0, nowMs - this.#lastAt) / 1000;
    this.#lastAt = nowMs;
    this.#junk += Math.max(0, wire - honest);
    this.#frames += frames;
    this.#plain += plain;
    this.#level = Math.max(0, this.#level + (wire - honest) - elapsed * JUNK_RATE);
    if (this.#level <= JUNK_BURST) return undefined;
    const seconds = (nowMs - this.#firstAt) / 1000;
    return {
      junkBytes: this.#junk,
      seconds,
      message: `TLS-level flood: ${this.#junk} bytes of TLS records beyond what ${this.#frames} ` +
        `frames (${this.#plain} bytes) need, in ${seconds.toFixed(1)} s (KeyUpdates, empty, ` +
        `tiny or padded records; the bound is ${JUNK_BURST} bytes, then ${JUNK_RATE} a second)`,
    };
  }
}
