/**
 * `/status.json`: what the status page and `sssonector status` show, from one snapshot. Totals
 * are summed over every peer (ended sessions included); rates come from the monitor's history
 * (the last one-second sample), null until it has two samples.
 *
 * @module
 */

import type { CountersSnapshot } from "../counters/registry.ts";
import type { TrafficHistory } from "./history.ts";
import type { MonitorSource } from "./source.ts";
import type { AqmView, CarrierView, LaneView } from "../counters/registry.ts";

/** Bits per second each way over the last sample interval; null until there are two samples. */
export interface StatusRate {
  readonly in: number;
  readonly out: number;
}

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
  readonly rate: StatusRate | null;
  /** The carrier TCP connection's health (TCP_INFO); null when its socket is out of reach. */
  readonly carrier: CarrierView | null;
  /** The send queue's AQM: last sojourn time, drops and ECN marks. */
  readonly aqm: AqmView | null;
  /** The sparse lane: up or not, what lanes carried, how often packets fell back. */
  readonly lane?: LaneView | null;
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
  /** The CAs this process trusts (the CA file's certificates): subject and end of each. */
  readonly authorities: readonly { readonly subject: string; readonly expires: string }[];
  readonly totals: {
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly packetsIn: number;
    readonly packetsOut: number;
    readonly rate: StatusRate | null;
  };
  readonly sessions: readonly StatusSession[];
}

/** Bytes and packets each way summed over every peer of the snapshot. */
export function trafficTotals(snapshot: CountersSnapshot) {
  const totals = { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 };
  for (const { traffic } of snapshot.peers) {
    totals.bytesIn += traffic.bytesIn;
    totals.bytesOut += traffic.bytesOut;
    totals.packetsIn += traffic.packetsIn;
    totals.packetsOut += traffic.packetsOut;
  }
  return totals;
}

export function statusReport(
  source: MonitorSource,
  version: string,
  history?: TrafficHistory,
): StatusReport {
  const snapshot = source.snapshot();
  const readiness = source.readiness();
  const state = source.certificates();
  const own = state.certificate;
  const totals = { ...trafficTotals(snapshot), rate: history?.latest() ?? null };
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
    authorities: state.authorities.map((ca) => ({
      subject: ca.subject,
      expires: ca.notAfter.toISOString(),
    })),
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
      rate: history?.sessionRate(session) ?? null,
      carrier: session.carrier ?? null,
      aqm: session.aqm ?? null,
      lane: session.lane ?? null,
    })),
  };
}
