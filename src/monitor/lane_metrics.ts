/**
 * Each live session's sparse lane for /metrics (src/session/sparse_lane.ts): whether it is up,
 * what lanes carried, how often sparse packets went back to the main connection. One series per
 * session, labels peer and remote like the other session metrics (bounded by max_clients).
 */
import type { SessionSeries } from "./carrier_metrics.ts";

export const LANE_SERIES: readonly SessionSeries[] = [
  {
    name: "sssonector_lane_up",
    help: "Whether each session's sparse lane (a second connection for sparse packets) is up.",
    type: "gauge",
    value: (s) => s.lane && (s.lane.up ? 1 : 0),
  },
  {
    name: "sssonector_lane_opened_total",
    help: "Sparse lanes each session has had attached (one re-opened after a lane died counts).",
    type: "counter",
    value: (s) => s.lane?.opened,
  },
  {
    name: "sssonector_lane_packets_total",
    help: "Sparse packets each session sent on its sparse lanes.",
    type: "counter",
    value: (s) => s.lane?.packetsOut,
  },
  {
    name: "sssonector_lane_bytes_total",
    help: "Bytes of the frames each session sent on its sparse lanes.",
    type: "counter",
    value: (s) => s.lane?.bytesOut,
  },
  {
    name: "sssonector_lane_fallbacks_total",
    help: "Batches of sparse packets each session's lane refused (it lagged or was full), " +
      "sent on the main connection instead.",
    type: "counter",
    value: (s) => s.lane?.fallbacks,
  },
];
