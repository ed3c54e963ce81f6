import type { Endpoint } from "../config/types.ts";

/**
 * Which server a client dials next (`server:` may list several). Each reconnect starts a round
 * over the list, in the file's order (the first is preferred whenever it is up) or shuffled (to
 * spread clients over equal servers); a failed dial moves on to the next server of the round at
 * once, and only a round that failed everywhere is followed by the backoff delay. Pure.
 */
export class ServerRotation {
  readonly servers: readonly Endpoint[];
  #order: "ordered" | "shuffled";
  #random: () => number;
  #round: number[] = [];
  #position = 0;

  constructor(
    servers: readonly Endpoint[],
    order: "ordered" | "shuffled" = "ordered",
    random: () => number = Math.random,
  ) {
    if (servers.length === 0) throw new RangeError("a client needs at least one server");
    this.servers = servers;
    this.#order = order;
    this.#random = random;
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
  next(): { readonly endpoint: Endpoint; readonly number: number } | undefined {
    const index = this.#round[this.#position];
    if (index === undefined) return undefined;
    this.#position++;
    return { endpoint: this.servers[index]!, number: index + 1 };
  }
}
