/**
 * `/status.json`: what the status page shows, from one snapshot. Totals are summed over every
 * peer (ended sessions included), so the page's throughput is the difference of two polls.
 *
 * @module
 */

import type { MonitorSource } from "./source.ts";
import type { AqmView, CarrierView } from "../counters/registry.ts";

export interface StatusSession {
  readonly peer: string;
  readonly tunnelAddress: string | null;
  /** Networks the server routes to this client (its clients: entry), while it is connected. */
  readonly routes: readonly string[];
  readonly remote: string;
  /** ms since the epoch. */
  readonly since: number;
  readonly rttMs: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  /** The carrier TCP connection's health (TCP_INFO); null when its socket is out of reach. */
  readonly carrier: CarrierView | null;
  /** The send queue's AQM: last sojourn time, drops and ECN marks. */
  readonly aqm: AqmView | null;
}

export interface StatusReport {
  readonly mode: "server" | "client";
  readonly version: string;
  readonly ready: boolean;
  readonly reason: string;
  /** ms since the epoch. */
  readonly takenAt: number;
  readonly certificate: {
    readonly subject: string;
    readonly serial: string;
    readonly expires: string;
  };
  readonly totals: {
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly packetsIn: number;
    readonly packetsOut: number;
  };
  readonly sessions: readonly StatusSession[];
}

export function statusReport(source: MonitorSource, version: string): StatusReport {
  const snapshot = source.snapshot();
  const readiness = source.readiness();
  const own = source.certificates().certificate;
  const totals = { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 };
  for (const { traffic } of snapshot.peers) {
    totals.bytesIn += traffic.bytesIn;
    totals.bytesOut += traffic.bytesOut;
    totals.packetsIn += traffic.packetsIn;
    totals.packetsOut += traffic.packetsOut;
  }
  return {
    mode: source.mode,
    version,
    ready: readiness.ready,
    reason: readiness.reason,
    takenAt: snapshot.takenAt,
    certificate: {
      subject: own.subject,
      serial: own.serialHex,
      expires: own.notAfter.toISOString(),
    },
    totals,
    sessions: snapshot.sessions.map((session) => ({
      peer: session.peerName,
      tunnelAddress: session.tunnelAddress ?? null,
      routes: session.routes ?? [],
      remote: session.remote,
      since: session.since,
      rttMs: session.rttMs ?? null,
      bytesIn: session.traffic.bytesIn,
      bytesOut: session.traffic.bytesOut,
      packetsIn: session.traffic.packetsIn,
      packetsOut: session.traffic.packetsOut,
      carrier: session.carrier ?? null,
      aqm: session.aqm ?? null,
    })),
  };
}
