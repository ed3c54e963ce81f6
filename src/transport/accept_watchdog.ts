/**
 * Notices a listener that has stopped accepting and has it replaced.
 *
 * A node:net server in Deno 2.9.6 stops accepting for good after one accept fails with EMFILE,
 * and says nothing (no `error` event): the port stays bound, the kernel keeps completing TCP
 * handshakes into the backlog, and nobody is ever served again. So while no connection has been
 * accepted for `intervalMs`, the watchdog connects to the listener itself; when its probe is not
 * accepted within `probeTimeoutMs`, and neither are the next ones (`failuresToStop` in a row, one
 * every `retryMs`, while nothing else is accepted either), the listener counts as stopped
 * (readiness says so) and is replaced by a new one, retried every `retryMs` until a connection
 * gets through again. A probe's connect is bounded by `probeTimeoutMs` too: a dead listener's accept
 * queue fills up, and then the kernel drops every SYN, the probe's included, so the connect would
 * otherwise hang for minutes (SYN retries) and the outage would go unnoticed.
 *
 * @module
 */

/** A probe connection that has been opened (its local port identifies it at the accept). */
export interface ProbeConnection {
  readonly localPort: number;
  close(): void;
}

export interface AcceptWatchdogOptions {
  /**
   * Opens a TCP connection to the listener; rejects when that fails, or once `signal` aborts
   * (closing whatever it had opened).
   */
  probe(signal: AbortSignal): Promise<ProbeConnection>;
  /** Replaces the listener with a new one on the same address; rejects when it cannot. */
  restart(): Promise<void>;
  /** The listener stopped accepting (`reason`: one line). Called once per outage. */
  onStopped(reason: string): void;
  /** It accepts again. */
  onResumed(): void;
  /** Quiet time before a probe is sent. @default 5000 */
  readonly intervalMs?: number;
  /** How long an accepted probe may take. @default 3000 */
  readonly probeTimeoutMs?: number;
  /** Probe interval while stopped, or after a failed probe. @default 1000 */
  readonly retryMs?: number;
  /**
   * Failed probes in a row that make the listener count as stopped: one slow probe on a busy
   * machine is no outage (and on a privileged port, replacing the listener ends the process).
   * @default 3
   */
  readonly failuresToStop?: number;
  /** @default performance.now */
  readonly now?: () => number;
}

export class AcceptWatchdog implements Disposable {
  #options: AcceptWatchdogOptions;
  #lastAccept: number;
  #accepting = true;
  #probing = false;
  /** Probes failed in a row. */
  #failures = 0;
  #expectedPort: number | undefined;
  #probeSeen: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: AcceptWatchdogOptions) {
    this.#options = options;
    this.#lastAccept = this.#now();
    this.#schedule(options.intervalMs ?? 5000);
  }

  /** False from a failed probe until one gets through again. */
  get accepting(): boolean {
    return this.#accepting;
  }

  /**
   * Tells the watchdog a connection was accepted; true when it is the watchdog's own probe (the
   * caller then closes it without counting it anywhere).
   */
  accepted(remotePort: number | undefined): boolean {
    this.#lastAccept = this.#now();
    this.#failures = 0;
    // Whatever is accepted proves the listener works: a probe in flight has its answer.
    this.#probeSeen?.();
    if (!this.#accepting && !this.#probing) {
      this.#accepting = true;
      this.#options.onResumed();
    }
    if (this.#expectedPort === undefined || remotePort !== this.#expectedPort) return false;
    this.#expectedPort = undefined;
    return true;
  }

  #now(): number {
    return (this.#options.now ?? (() => performance.now()))();
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => void this.#tick(), ms);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  async #tick(): Promise<void> {
    const interval = this.#options.intervalMs ?? 5000;
    if (this.#accepting && this.#now() - this.#lastAccept < interval) {
      this.#schedule(interval - (this.#now() - this.#lastAccept));
      return;
    }
    if (this.#probing) return;
    this.#probing = true;
    try {
      const problem = await this.#probe();
      if (problem === undefined) {
        this.#failures = 0;
        if (!this.#accepting) {
          this.#accepting = true;
          this.#options.onResumed();
        }
      } else if (++this.#failures >= (this.#options.failuresToStop ?? 3)) {
        if (this.#accepting) {
          this.#accepting = false;
          this.#options.onStopped(problem);
        }
        await this.#options.restart().catch(() => {});
      }
    } finally {
      this.#probing = false;
    }
    this.#schedule(
      this.#accepting && this.#failures === 0 ? interval : this.#options.retryMs ?? 1000,
    );
  }

  /** undefined when a probe was accepted in time, else why not. */
  async #probe(): Promise<string | undefined> {
    const timeoutMs = this.#options.probeTimeoutMs ?? 3000;
    let connection: ProbeConnection;
    const connecting = new AbortController();
    const giveUp = setTimeout(() => connecting.abort(), timeoutMs);
    try {
      connection = await this.#options.probe(connecting.signal);
    } catch (error) {
      if (connecting.signal.aborted) {
        return `a test connection could not be opened within ${timeoutMs} ms`;
      }
      return `a test connection could not be opened (${
        error instanceof Error ? error.message : String(error)
      })`;
    } finally {
      clearTimeout(giveUp);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const seen = await new Promise<boolean>((resolve) => {
        this.#expectedPort = connection.localPort;
        this.#probeSeen = () => resolve(true);
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      return seen ? undefined : `a test connection was not accepted within ${timeoutMs} ms`;
    } finally {
      clearTimeout(timer);
      this.#expectedPort = undefined;
      this.#probeSeen = undefined;
      connection.close();
    }
  }

  [Symbol.dispose](): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
