/**
 * The carrier's health and the send queue's AQM per live session, for /metrics: one series per
 * session (labels peer and remote, as the other session metrics: bounded by max_clients). Declared
 * with metrics.ts's makers, as every other metric; a session whose value is undefined (no
 * TCP_INFO, no AQM yet) is left out of that series.
 *
 * @module
 */
import type { CountersSnapshot, SessionView } from "../counters/registry.ts";
import type { MetricMakers } from "./certificate_metrics.ts";

export type SessionValue = (session: SessionView) => number | undefined;
type SessionLabels = { peer: string; remote: string };

const LABELS = ["peer", "remote"] as const;

/** Calls `put` with each live session's labels and value, skipping undefined values. */
function eachSession(
  snapshot: CountersSnapshot,
  value: SessionValue,
  put: (labels: SessionLabels, value: number) => void,
): void {
  for (const session of snapshot.sessions) {
    const v = value(session);
    if (v !== undefined) put({ peer: session.peerName, remote: session.remote }, v);
  }
}

/** A series per live session: its makers, from metrics.ts's. */
export interface SessionMetricMakers {
  sessionGauge(name: string, help: string, value: SessionValue): void;
  sessionCounter(name: string, help: string, value: SessionValue): void;
}

/** Makers of per-session series (labels peer and remote) from metrics.ts's gauge and counter. */
export function sessionMetricMakers({ gauge, counter }: MetricMakers): SessionMetricMakers {
  return {
    sessionGauge: (name, help, value) =>
      gauge(name, help, LABELS, (m, s) => eachSession(s, value, (l, v) => m.set(l, v))),
    sessionCounter: (name, help, value) =>
      counter(name, help, LABELS, (m, s) => eachSession(s, value, (l, v) => m.inc(l, v))),
  };
}

/** Adds the carrier and AQM series of each live session. */
export function addCarrierMetrics(makers: MetricMakers): void {
  const { sessionGauge, sessionCounter } = sessionMetricMakers(makers);

  sessionGauge(
    "sssonector_carrier_srtt_seconds",
    "Smoothed round trip of each session's carrier TCP connection (TCP_INFO).",
    (s) => s.carrier && s.carrier.srttMs / 1000,
  );
  sessionGauge(
    "sssonector_carrier_rttvar_seconds",
    "Round-trip variation of each session's carrier TCP connection (TCP_INFO).",
    (s) => s.carrier && s.carrier.rttvarMs / 1000,
  );
  sessionCounter(
    "sssonector_carrier_retransmits_total",
    "Segments the carrier TCP connection of each session has retransmitted.",
    (s) => s.carrier?.retransmits,
  );
  sessionGauge(
    "sssonector_carrier_cwnd_segments",
    "Congestion window of each session's carrier TCP connection, in segments.",
    (s) => s.carrier?.cwnd,
  );
  sessionGauge(
    "sssonector_carrier_delivery_rate_bytes_per_second",
    "Last delivery rate sample of each session's carrier TCP connection.",
    (s) => s.carrier && s.carrier.deliveryRateBps / 8,
  );
  sessionGauge(
    "sssonector_carrier_notsent_bytes",
    "Bytes the kernel holds for each session's carrier and has not sent yet.",
    (s) => s.carrier?.notsentBytes,
  );
  sessionGauge(
    "sssonector_session_queue_sojourn_seconds",
    "How long the last packet sent to each session had waited in its send queue.",
    (s) => s.aqm && s.aqm.sojournMs / 1000,
  );
  sessionCounter(
    "sssonector_session_aqm_drops_total",
    "Packets the send queue's AQM dropped because they had waited too long, per session.",
    (s) => s.aqm?.dropped,
  );
  sessionCounter(
    "sssonector_session_aqm_marks_total",
    "ECN-capable packets the send queue's AQM marked instead of dropping, per session.",
    (s) => s.aqm?.marked,
  );
}
