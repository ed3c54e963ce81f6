/** Keepalive: when a session pings its peer, and when it gives the peer up. Pure, clock given. */

export interface KeepaliveOptions {
  /** The client sends a Ping this often; the server when the client has gone quiet. */
  readonly intervalMs: number;
  /** Close the session when nothing was received for this long. */
  readonly timeoutMs: number;
}

export const DEFAULT_KEEPALIVE: KeepaliveOptions = { intervalMs: 10_000, timeoutMs: 35_000 };

/**
 * How long a server's own round-trip sample may grow old while its client's Pings keep the
 * session alive: it pings once in this long to refresh it (status, /metrics).
 */
export const SERVER_RTT_REFRESH_MS = 60_000;

/**
 * How long a server waits for its client's traffic, in keepalive intervals, before it pings on its
 * own: more than one, so that a client pinging at the same interval is never raced.
 */
export const SERVER_QUIET_INTERVALS = 1.5;

/** How often the keepalive check runs. */
export function keepaliveTickMs({ intervalMs, timeoutMs }: KeepaliveOptions): number {
  return Math.max(10, Math.min(intervalMs, timeoutMs) / 4);
}

/**
 * What a keepalive tick at `now` does: close the session (the reason), send a Ping, or nothing.
 * `stalledMs`: how long queued bytes have waited without a write completing.
 *
 * The client drives: it pings every interval, and the server's Pongs tell it the server is there.
 * A server pings only when nothing has come from its client for SERVER_QUIET_INTERVALS intervals
 * (a client with a longer interval, or one gone), or for its own round trip: at its first
 * interval, then once in SERVER_RTT_REFRESH_MS. Its client's Pings already show both ends alive, and with 10,000 idle sessions every
 * record a server need not write or read is CPU (a node:tls write costs 100-300 µs here): this
 * takes an idle session from four records per interval to about two.
 */
export function keepaliveStep(
  now: number,
  seen: {
    readonly stalledMs: number;
    readonly lastReceived: number;
    readonly lastPing: number;
    /** A round trip has been measured (a server's first Ping comes at its first interval). */
    readonly rttKnown?: boolean;
  },
  { intervalMs, timeoutMs }: KeepaliveOptions,
  role: "server" | "client" = "client",
): { close: string } | "ping" | undefined {
  if (seen.stalledMs > timeoutMs) {
    return { close: `the peer has read nothing for ${Math.round(seen.stalledMs / 1000)} s` };
  }
  const quietMs = now - seen.lastReceived;
  if (quietMs > timeoutMs) {
    return { close: `nothing received for ${Math.round(quietMs / 1000)} s` };
  }
  const sincePing = now - seen.lastPing;
  if (sincePing < intervalMs) return undefined;
  if (role === "client") return "ping";
  const wantsRtt = !seen.rttKnown || sincePing >= SERVER_RTT_REFRESH_MS;
  return wantsRtt || quietMs >= SERVER_QUIET_INTERVALS * intervalMs ? "ping" : undefined;
}
