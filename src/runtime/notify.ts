/**
 * sd_notify for Type=notify services: `READY=1` once the server listens or the client's first
 * session is up, a one-line `STATUS=` kept current, `RELOADING=1` (with MONOTONIC_USEC) and
 * `READY=1` around a SIGHUP reload, `STOPPING=1` on shutdown, and `WATCHDOG=1` every half of
 * `$WATCHDOG_USEC` when the service manager asks for it. Without `$NOTIFY_SOCKET` nothing is sent.
 * A failed send is reported once and never stops the tunnel.
 *
 * @module
 */

import type { ProcessShim } from "../native/process.ts";

export interface NotifierOptions {
  /** `$NOTIFY_SOCKET`; undefined turns the notifier off. */
  readonly socket: string | undefined;
  /** `$WATCHDOG_USEC`, as text. */
  readonly watchdogUsec?: string | undefined;
  /** `$WATCHDOG_PID`: the watchdog is ours only when it is unset or our pid. */
  readonly watchdogPid?: string | undefined;
  /** Sends one datagram; returns 0 or -errno. */
  readonly send: (socket: string, message: string) => number;
  readonly monotonicUsec?: () => bigint;
  /** Told once about the first failed send. */
  readonly onError?: (message: string) => void;
}

export class Notifier implements Disposable {
  readonly #socket: string | undefined;
  readonly #send: NotifierOptions["send"];
  readonly #monotonic: () => bigint;
  readonly #onError: (message: string) => void;
  #failed = false;
  #ready = false;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  readonly #watchdogMs: number | undefined;

  constructor(options: NotifierOptions) {
    this.#socket = options.socket || undefined;
    this.#send = options.send;
    this.#monotonic = options.monotonicUsec ?? (() => 0n);
    this.#onError = options.onError ?? (() => {});
    const usec = Number(options.watchdogUsec);
    const forUs = options.watchdogPid === undefined || options.watchdogPid === "" ||
      Number(options.watchdogPid) === Deno.pid;
    this.#watchdogMs = this.#socket !== undefined && forUs && Number.isFinite(usec) && usec > 0
      ? Math.max(1, Math.floor(usec / 2000))
      : undefined;
  }

  /** The environment's `$NOTIFY_SOCKET` and watchdog, sending through the shim. */
  static fromEnvironment(
    shim: ProcessShim | undefined,
    onError: (message: string) => void,
  ): Notifier {
    const socket = Deno.env.get("NOTIFY_SOCKET");
    if (socket && shim === undefined) {
      onError("NOTIFY_SOCKET is set but the native shim is missing; systemd is not told");
    }
    return new Notifier({
      socket: shim === undefined ? undefined : socket,
      watchdogUsec: Deno.env.get("WATCHDOG_USEC"),
      watchdogPid: Deno.env.get("WATCHDOG_PID"),
      send: (path, message) => shim!.notify(path, message),
      ...(shim === undefined ? {} : { monotonicUsec: () => shim.monotonicUsec() }),
      onError,
    });
  }

  /** Whether anything is sent at all. */
  get enabled(): boolean {
    return this.#socket !== undefined;
  }

  /** The watchdog ping interval in ms, when the service manager asked for one. */
  get watchdogIntervalMs(): number | undefined {
    return this.#watchdogMs;
  }

  /** `READY=1` with a status line; the first call also starts the watchdog pings. */
  ready(status: string): void {
    this.#notify(`READY=1\nSTATUS=${oneLine(status)}`);
    if (this.#ready) return;
    this.#ready = true;
    if (this.#watchdogMs !== undefined) {
      this.#watchdog = setInterval(() => this.#notify("WATCHDOG=1"), this.#watchdogMs);
      Deno.unrefTimer(this.#watchdog);
      this.#notify("WATCHDOG=1");
    }
  }

  status(status: string): void {
    this.#notify(`STATUS=${oneLine(status)}`);
  }

  reloading(): void {
    this.#notify(`RELOADING=1\nMONOTONIC_USEC=${this.#monotonic()}\nSTATUS=reloading`);
  }

  stopping(): void {
    this.#stopWatchdog();
    this.#notify("STOPPING=1\nSTATUS=shutting down");
  }

  [Symbol.dispose](): void {
    this.#stopWatchdog();
  }

  #stopWatchdog(): void {
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  #notify(message: string): void {
    if (this.#socket === undefined) return;
    const result = this.#send(this.#socket, message);
    if (result === 0) {
      this.#failed = false;
      return;
    }
    if (this.#failed) return;
    this.#failed = true;
    this.#onError(
      `cannot notify the service manager at ${this.#socket}: ${describeErrno(-result)}; ` +
        "the tunnel goes on",
    );
  }
}

const ERRNO: Readonly<Record<number, string>> = {
  2: "no such socket (ENOENT)",
  13: "permission denied (EACCES)",
  111: "nothing listens on it (ECONNREFUSED)",
  11: "its queue is full (EAGAIN)",
  36: "the path is too long (ENAMETOOLONG)",
};

function describeErrno(errno: number): string {
  return ERRNO[errno] ?? `errno ${errno}`;
}

/** A status value must not carry a line break: it would start another assignment. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}
