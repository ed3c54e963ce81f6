import type { Endpoint } from "../config/types.ts";

/** A server of the list with its place in it (1-based: 1 is the primary). */
export interface RankedServer {
  readonly endpoint: Endpoint;
  readonly number: number;
}

export interface ServerRotationOptions {
  /** Try the servers in the file's order (the first is the primary) or shuffled. @default "ordered" */
  readonly order?: "ordered" | "shuffled";
  /** Returns [0, 1), for the shuffle. @default Math.random */
  readonly random?: () => number;
  /**
   * Ordered only: ms a session with a server that is not the first must have lasted before the
   * client tries to return to a server before it in the list (`failback`), and between two such
   * tries; 0 never returns. @default 0
   */
  readonly failbackMs?: number;
}

/**
 * Which server a client dials next (`server:` may list several). Each reconnect starts a round
 * over the list, in the file's order (the first is preferred whenever it is up) or shuffled (to
 * spread clients over equal servers); a failed dial moves on to the next server of the round at
 * once, and only a round that failed everywhere is followed by the backoff delay.
 *
 * A session that worked and then was lost (the server died, or the tunnel went silent) starts
 * a round that tries that server last: the other servers of a pool take the client at once
 * instead of after a dial to a dead host times out.
 *
 * Failback (ordered, `failbackMs` > 0): while connected to server N > 1, once the session has
 * lasted `failbackMs` (the hold-down), the client tries the servers before N, best first, and
 * moves to the first that answers; a try that fails waits another `failbackMs`. Pure: the
 * caller dials, and passes the clock in.
 */
export class ServerRotation {
  readonly servers: readonly Endpoint[];
  readonly failbackMs: number;
  #order: "ordered" | "shuffled";
  #random: () => number;
  #round: number[] = [];
  #position = 0;
  /** The server of the open session (0-based) and when the next failback try is due. */
  #connected: { readonly index: number; due: number } | undefined;

  constructor(servers: readonly Endpoint[], options: ServerRotationOptions = {}) {
    if (servers.length === 0) throw new RangeError("a client needs at least one server");
    this.servers = servers;
    this.#order = options.order ?? "ordered";
    this.#random = options.random ?? Math.random;
    const failbackMs = options.failbackMs ?? 0;
    if (!Number.isFinite(failbackMs) || failbackMs < 0) {
      throw new RangeError(`Failback must be 0 or more ms: ${failbackMs}`);
    }
    this.failbackMs = this.#order === "ordered" ? failbackMs : 0;
    this.startRound();
  }

  /** Starts a new round: the next dial goes to the first server of a fresh order. */
  startRound(): void {
    const round = this.servers.map((_, i) => i);
    if (this.#order === "shuffled") {
      for (let i = round.length - 1; i > 0; i--) {
        const j = Math.floor(this.#random() * (i + 1));
        [round[i], round[j]] = [round[j]!, round[i]!];
      }
    }
    this.#round = round;
    this.#position = 0;
  }

  /** The next server of this round with its place in the list (1-based), or undefined when done. */
  next(): RankedServer | undefined {
    const index = this.#round[this.#position];
    if (index === undefined) return undefined;
    this.#position++;
    return this.#ranked(index);
  }

  /** A session with server `number` (1-based) opened at `nowMs`. */
  connected(number: number, nowMs: number): void {
    this.#connected = { index: this.#index(number), due: nowMs + this.failbackMs };
  }

  /**
   * The session with server `number` ended after it had opened: a new round starts in which
   * that server comes last.
   */
  lost(number: number): void {
    const index = this.#index(number);
    this.#connected = undefined;
    this.startRound();
    this.#round = [...this.#round.filter((i) => i !== index), index];
  }

  /**
   * The servers to try to return to at `nowMs`, best first: empty unless failback is on, the
   * session is with a server that is not the first, and its hold-down (or the wait after a
   * failed try) is over.
   */
  failbackTargets(nowMs: number): RankedServer[] {
    const connected = this.#connected;
    if (this.failbackMs === 0 || !connected || connected.index === 0) return [];
    if (nowMs < connected.due) return [];
    return Array.from({ length: connected.index }, (_, i) => this.#ranked(i));
  }

  /** No server before the current one answered at `nowMs`: the next try is failbackMs later. */
  failbackFailed(nowMs: number): void {
    if (this.#connected) this.#connected.due = nowMs + this.failbackMs;
  }

  /** ms until the next failback try is due (0: now), or undefined when none will be. */
  failbackDueIn(nowMs: number): number | undefined {
    const connected = this.#connected;
    if (this.failbackMs === 0 || !connected || connected.index === 0) return undefined;
    return Math.max(0, connected.due - nowMs);
  }

  /**
   * The session moves to server `number` of its own accord (failback), over a connection
   * already made: should that fail, the round goes on with the rest of the list in order.
   */
  moveTo(number: number): void {
    const index = this.#index(number);
    this.#connected = undefined;
    this.startRound();
    this.#round = this.#round.filter((i) => i !== index);
  }

  #index(number: number): number {
    const index = number - 1;
    if (!Number.isInteger(index) || index < 0 || index >= this.servers.length) {
      throw new RangeError(`Server number must be 1..${this.servers.length}: ${number}`);
    }
    return index;
  }

  #ranked(index: number): RankedServer {
    return { endpoint: this.servers[index]!, number: index + 1 };
  }
}
