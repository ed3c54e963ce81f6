/**
 * The carrier's health and the send queue's AQM per live session, for /metrics: one series per
 * session (labels peer and remote, as the other session metrics: bounded by max_clients).
 */
import type { SessionView } from "../counters/registry.ts";

export interface SessionSeries {
  readonly name: string;
  readonly help: string;
  readonly type: "gauge" | "counter";
  /** The value for a session; undefined leaves the session out. */
  readonly value: (session: SessionView) => number | undefined;
}

export const CARRIER_SERIES: readonly SessionSeries[] = [
  {
    name: "sssonector_carrier_srtt_seconds",
    help: "Smoothed round trip of each session's carrier TCP connection (TCP_INFO).",
    type: "gauge",
    value: (s) => s.carrier && s.carrier.srttMs / 1000,
  },
  {
    name: "sssonector_carrier_rttvar_seconds",
    help: "Round-trip variation of each session's carrier TCP connection (TCP_INFO).",
    type: "gauge",
    value: (s) => s.carrier && s.carrier.rttvarMs / 1000,
  },
  {
    name: "sssonector_carrier_retransmits_total",
    help: "Segments the carrier TCP connection of each session has retransmitted.",
    type: "counter",
    value: (s) => s.carrier?.retransmits,
  },
  {
    name: "sssonector_carrier_cwnd_segments",
    help: "Congestion window of each session's carrier TCP connection, in segments.",
    type: "gauge",
    value: (s) => s.carrier?.cwnd,
  },
  {
    name: "sssonector_carrier_delivery_rate_bytes_per_second",
    help: "Last delivery rate sample of each session's carrier TCP connection.",
    type: "gauge",
    value: (s) => s.carrier && s.carrier.deliveryRateBps / 8,
  },
  {
    name: "sssonector_carrier_notsent_bytes",
    help: "Bytes the kernel holds for each session's carrier and has not sent yet.",
    type: "gauge",
    value: (s) => s.carrier?.notsentBytes,
  },
  {
    name: "sssonector_session_queue_sojourn_seconds",
    help: "How long the last packet sent to each session had waited in its send queue.",
    type: "gauge",
    value: (s) => s.aqm && s.aqm.sojournMs / 1000,
  },
  {
    name: "sssonector_session_aqm_drops_total",
    help: "Packets the send queue's AQM dropped because they had waited too long, per session.",
    type: "counter",
    value: (s) => s.aqm?.dropped,
  },
  {
    name: "sssonector_session_aqm_marks_total",
    help: "ECN-capable packets the send queue's AQM marked instead of dropping, per session.",
    type: "counter",
    value: (s) => s.aqm?.marked,
  },
];
