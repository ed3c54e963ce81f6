/**
 * The one counters model: a typed shape per scope (the process, a session, a peer's totals across
 * its sessions), all plain numbers, read through one snapshot so the metrics endpoint, the status
 * page and the end-of-session log line report the same figures. Pure data; no I/O.
 *
 * Directions are named from the tunnel's point of view: `in` is what the peer sent us and we wrote
 * to the TUN, `out` is what we read from the TUN and handed to TLS for the peer.
 */

/** Packets dropped on one session's path, by reason. */
export interface DropCounters {
  /** From the peer, with a source address the peer does not own (anti-spoofing). */
  spoofed: number;
  /** From the peer, not a well-formed IP packet. */
  malformed: number;
  /** From the peer, refused by the TUN device's write. */
  tunWrite: number;
  /** From the peer, to a destination the packet filter refuses (client_to_client: false). */
  destination: number;
  /** From the peer, IPv6 from a link-local or unspecified source (never forwarded off-link). */
  linkLocal: number;
  /** For the peer, dropped because its send queue was full (it reads slower than we send). */
  congested: number;
  /** Pongs and pings not sent because the peer's send queue was full. */
  control: number;
}

/** What one session carried. */
export interface TrafficCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  drops: DropCounters;
}

/** Counters of the shared TUN reader (process scope). */
export interface TunReaderCounters {
  batches: number;
  packets: number;
  /** Packets whose destination no open session owns. */
  unroutable: number;
  /** Offloaded super-packets segmented for peers without offloads. */
  converted: number;
  /** Offloaded packets that could not be converted for such a peer. */
  conversionDropped: number;
}

/** Connection and handshake outcomes at the listener and the client's dialer (process scope). */
export interface ConnectionCounters {
  /** Sessions that completed the Hello exchange. */
  sessionsOpened: number;
  /** Handshakes refused, by short reason (e.g. "no certificate", "other CA", "address in use"). */
  refused: Record<string, number>;
  /** Connections closed before the handshake because a cap was reached, by cap. */
  capped: Record<string, number>;
  /** Connections closed because the TLS handshake or the Hello took too long. */
  handshakeTimeouts: number;
  /** Client: connection attempts after the first. */
  reconnects: number;
}

/** Writes of log lines that failed (a closed pipe, a full disk); the tunnel goes on. */
export interface LogCounters {
  failedWrites: number;
}

/** SIGHUP reloads (process scope). */
export interface ReloadCounters {
  /** By what happened to the certificate set: "swapped", "unchanged", "kept" or "failed". */
  results: Record<string, number>;
  /** Reloads whose log file reopen failed (the old file stayed in use). */
  logReopenFailures: number;
}

export interface ProcessCounters {
  tun: TunReaderCounters;
  connections: ConnectionCounters;
  log: LogCounters;
  reloads: ReloadCounters;
  /** Fetches of the fleet's CRL (security.tls.crl_urls; src/pki/crl_fetch.ts). */
  crl: { ok: number; failed: number; applied: number };
  /** Keepalive round trips of every session. */
  rtt: RttHistogram;
}

export function emptyDrops(): DropCounters {
  return {
    spoofed: 0,
    malformed: 0,
    tunWrite: 0,
    destination: 0,
    linkLocal: 0,
    congested: 0,
    control: 0,
  };
}

export function emptyTraffic(): TrafficCounters {
  return { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, drops: emptyDrops() };
}

export function emptyProcessCounters(): ProcessCounters {
  return {
    tun: { batches: 0, packets: 0, unroutable: 0, converted: 0, conversionDropped: 0 },
    connections: {
      sessionsOpened: 0,
      refused: {},
      capped: {},
      handshakeTimeouts: 0,
      reconnects: 0,
    },
    log: { failedWrites: 0 },
    reloads: { results: {}, logReopenFailures: 0 },
    crl: { ok: 0, failed: 0, applied: 0 },
    rtt: emptyRttHistogram(),
  };
}

/** Adds `from` into `into` (both traffic shapes). */
export function addTraffic(into: TrafficCounters, from: Readonly<TrafficCounters>): void {
  into.packetsIn += from.packetsIn;
  into.bytesIn += from.bytesIn;
  into.packetsOut += from.packetsOut;
  into.bytesOut += from.bytesOut;
  for (const key of Object.keys(into.drops) as Array<keyof DropCounters>) {
    into.drops[key] += from.drops[key];
  }
}

/** Increments a counter in a by-reason record. */
export function countReason(record: Record<string, number>, reason: string): void {
  record[reason] = (record[reason] ?? 0) + 1;
}

/** Upper bounds (ms) of the round-trip buckets: sub-millisecond LANs to satellite links. */
export const RTT_BUCKETS_MS: readonly number[] = [
  0.5,
  1,
  2,
  5,
  10,
  25,
  50,
  100,
  250,
  500,
  1000,
  2500,
];

/** Keepalive round trips, counted per bucket (`counts[i]`: at most RTT_BUCKETS_MS[i]; last: more). */
export interface RttHistogram {
  counts: number[];
  sumMs: number;
  count: number;
}

export function emptyRttHistogram(): RttHistogram {
  return { counts: new Array(RTT_BUCKETS_MS.length + 1).fill(0), sumMs: 0, count: 0 };
}

/** Counts one round trip of `ms`. */
export function observeRtt(histogram: RttHistogram, ms: number): void {
  let i = RTT_BUCKETS_MS.findIndex((bound) => ms <= bound);
  if (i < 0) i = RTT_BUCKETS_MS.length;
  histogram.counts[i]!++;
  histogram.sumMs += ms;
  histogram.count++;
}
