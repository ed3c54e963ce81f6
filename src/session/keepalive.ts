/** Keepalive: when a session pings its peer, and when it gives the peer up. Pure, clock given. */

export interface KeepaliveOptions {
  /** Send a Ping this often (both sides do, so both measure round trips). */
  readonly intervalMs: number;
  /** Close the session when nothing was received for this long. */
  readonly timeoutMs: number;
}

export const DEFAULT_KEEPALIVE: KeepaliveOptions = { intervalMs: 10_000, timeoutMs: 35_000 };

/** How often the keepalive check runs. */
export function keepaliveTickMs({ intervalMs, timeoutMs }: KeepaliveOptions): number {
  return Math.max(10, Math.min(intervalMs, timeoutMs) / 4);
}

/**
 * What a keepalive tick at `now` does: close the session (the reason), send a Ping, or nothing.
 * `stalledMs`: how long queued bytes have waited without a write completing.
 */
export function keepaliveStep(
  now: number,
  seen: { readonly stalledMs: number; readonly lastReceived: number; readonly lastPing: number },
  { intervalMs, timeoutMs }: KeepaliveOptions,
): { close: string } | "ping" | undefined {
  if (seen.stalledMs > timeoutMs) {
    return { close: `the peer has read nothing for ${Math.round(seen.stalledMs / 1000)} s` };
  }
  if (now - seen.lastReceived > timeoutMs) {
    return { close: `nothing received for ${Math.round((now - seen.lastReceived) / 1000)} s` };
  }
  return now - seen.lastPing >= intervalMs ? "ping" : undefined;
}
