import type { Logger } from "@logtape/logtape";
import { RepeatSummary } from "../log/repeat_summary.ts";
import type { ConnectionLimits } from "./connection_limits.ts";
import type { PendingCap } from "../transport/pending.ts";

type Event =
  | "refused"
  | "capped"
  | "timed out"
  | "authenticated"
  | "ended"
  | "spoofed"
  | "certificate refused";

const WHAT: Readonly<Record<Event, string>> = {
  "refused": "refused handshakes",
  "certificate refused": "refusals",
  "capped": "connections closed at a cap",
  "timed out": "handshakes timed out",
  "authenticated": "authenticated connections",
  "ended": "connections that ended before their session opened",
  "spoofed": "writes with packets from sources it does not own",
};

/**
 * Logs what strangers do at the door without letting a flood flood the log: per source address
 * and kind of event, the first line in a minute is logged at WARN, the rest at DEBUG and counted,
 * then summarised once a minute (`... 812 more refused handshakes from 192.0.2.2 in the last 60
 * s`). Memory: RepeatSummary's bounded key map.
 *
 * What a certificate names (a revoked, expired or foreign certificate, a client turned away, a
 * client's session events) is counted apart from anonymous junk, per name and serial, with a
 * budget of its own: thirty junk handshakes can no longer hide a revoked certificate's attempt.
 * Both budgets are bounded (full lines per window, keys per window).
 */
export class StrangerLog {
  #log: Logger;
  #summary: RepeatSummary;
  /** Events that carry a certificate's name: a budget junk cannot use up. */
  #named: RepeatSummary;
  #timer: ReturnType<typeof setInterval>;

  constructor(
    logger: Logger,
    summary = new RepeatSummary(),
    named = new RepeatSummary({ windowMs: summary.windowMs, fullLinesPerWindow: 100 }),
  ) {
    this.#log = logger;
    this.#summary = summary;
    this.#named = named;
    this.#timer = setInterval(() => this.flush(), Math.min(summary.windowMs, 60_000) / 4);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  refused(peer: string, reason: string): void {
    this.#note("refused", peer, "TLS handshake with {peer} failed: {reason}", { peer, reason });
  }

  /** A client whose certificate the CRL lists. */
  revoked(peer: string, name: string, serial: string): void {
    this.#noteNamed(
      "certificate refused",
      `${name} (serial ${serial})`,
      "client {peer} ({name}) refused: its certificate {serial} is revoked",
      { peer, name, serial },
    );
  }

  /** A client whose certificate our checks refused (expired, another CA, wrong purpose). */
  certificateRefused(peer: string, name: string, serial: string, reason: string): void {
    this.#noteNamed(
      "certificate refused",
      `${name} (serial ${serial})`,
      "TLS handshake with {peer} failed: client certificate refused: {reason} (serial {serial})",
      { peer, name, serial, reason },
    );
  }

  /** An authenticated client turned away by name (registry, flapping, max_clients). */
  turnedAway(peer: string, name: string, serial: string, reason: string): void {
    this.#noteNamed(
      "certificate refused",
      `${name} (serial ${serial})`,
      "client {peer} ({name}) refused: {reason}; certificate serial {serial}",
      { peer, name, serial, reason },
    );
  }

  /**
   * A client's packets carried a source it does not own (neither its tunnel addresses nor its
   * routes): logged once a minute per client with the source, the rest counted.
   */
  spoofed(name: string, source: string): void {
    this.#noteNamed(
      "spoofed",
      name,
      "client {name} sent from {source}, which it does not own; such packets are dropped",
      { name, source },
    );
  }

  capped(peer: string, cap: PendingCap, limits: ConnectionLimits): void {
    const limit = cap === "pending"
      ? `${limits.maxPending} pending connections (security.max_pending_connections)`
      : cap === "per network"
      ? "its network's share of pending connections (security.max_pending_per_network4/6)"
      : `${limits.maxPendingPerSource} pending connections from one address ` +
        "(security.max_pending_per_source)";
    this.#note("capped", peer, "{peer}: closed at once: the server already has {limit}", {
      peer,
      limit,
    });
  }

  timedOut(peer: string, seconds: number): void {
    this.#note(
      "timed out",
      peer,
      "{peer}: closed: no completed handshake within {seconds} s (security.handshake_timeout)",
      { peer, seconds },
    );
  }

  /**
   * A client authenticated (INFO the first time in a window per certificate name, so a flood of
   * handshakes with a valid certificate cannot flood the log either).
   */
  authenticated(name: string, message: string, fields: Record<string, unknown>): void {
    this.#noteNamed("authenticated", name, message, fields, "info");
  }

  /** A client's connection ended before its session opened (refused at the Hello, or silent). */
  endedEarly(name: string, message: string, fields: Record<string, unknown>): void {
    this.#noteNamed("ended", name, message, fields, "info");
  }

  /** Logs the summaries of a window that has ended. */
  flush(force = false): void {
    if (!force && !this.#summary.due()) return;
    for (const line of [...this.#summary.flush(), ...this.#named.flush()]) {
      const [event, host] = line.key === undefined ? [undefined, undefined] : splitKey(line.key);
      const seconds = Math.round(this.#summary.windowMs / 1000);
      if (event === undefined) {
        this.#log.warn(
          "... {count} more events from {keys} other addresses in the last {seconds} s",
          {
            count: line.count,
            keys: line.keys,
            seconds,
          },
        );
      } else {
        const from = event === "authenticated" || event === "ended" || event === "spoofed" ||
            event === "certificate refused"
          ? "of"
          : "from";
        this.#log.warn(`... {count} more {what} ${from} {host} in the last {seconds} s`, {
          count: line.count,
          what: WHAT[event],
          host,
          seconds,
        });
      }
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.flush(true);
  }

  #note(
    event: Event,
    peer: string,
    message: string,
    fields: Record<string, unknown>,
    level: "warn" | "info" = "warn",
  ): void {
    this.#write(this.#summary.note(`${event}|${hostOf(peer)}`), message, fields, level);
  }

  /** An event about a named certificate: `who` is its name (and serial). */
  #noteNamed(
    event: Event,
    who: string,
    message: string,
    fields: Record<string, unknown>,
    level: "warn" | "info" = "warn",
  ): void {
    this.#write(this.#named.note(`${event}|${who}`), message, fields, level);
  }

  #write(
    full: boolean,
    message: string,
    fields: Record<string, unknown>,
    level: "warn" | "info",
  ): void {
    if (!full) this.#log.debug(message, fields);
    else if (level === "warn") this.#log.warn(message, fields);
    else this.#log.info(message, fields);
  }
}

/** The address part of host:port or [v6]:port. */
function hostOf(peer: string): string {
  const bracket = peer.match(/^\[([^\]]+)\]/);
  if (bracket) return bracket[1]!;
  const colon = peer.lastIndexOf(":");
  return colon > 0 ? peer.slice(0, colon) : peer;
}

function splitKey(key: string): [Event, string] {
  const bar = key.indexOf("|");
  return [key.slice(0, bar) as Event, key.slice(bar + 1)];
}
