/**
 * Each live session's sparse lane for /metrics (src/session/sparse_lane.ts): whether it is up,
 * what lanes carried, how often sparse packets went back to the main connection. One series per
 * session, labels peer and remote like the other session metrics (bounded by max_clients).
 *
 * @module
 */
import type { MetricMakers } from "./certificate_metrics.ts";
import { sessionMetricMakers } from "./carrier_metrics.ts";

/** Adds the sparse-lane series of each live session that has a lane slot. */
export function addLaneMetrics(makers: MetricMakers): void {
  const { sessionGauge, sessionCounter } = sessionMetricMakers(makers);
  sessionGauge(
    "sssonector_lane_up",
    "Whether each session's sparse lane (a second connection for sparse packets) is up.",
    (s) => s.lane && (s.lane.up ? 1 : 0),
  );
  sessionCounter(
    "sssonector_lane_opened_total",
    "Sparse lanes each session has had attached (one re-opened after a lane died counts).",
    (s) => s.lane?.opened,
  );
  sessionCounter(
    "sssonector_lane_packets_total",
    "Sparse packets each session sent on its sparse lanes.",
    (s) => s.lane?.packetsOut,
  );
  sessionCounter(
    "sssonector_lane_bytes_total",
    "Bytes of the frames each session sent on its sparse lanes.",
    (s) => s.lane?.bytesOut,
  );
  sessionCounter(
    "sssonector_lane_fallbacks_total",
    "Batches of sparse packets each session's lane refused (it lagged or was full), " +
      "sent on the main connection instead.",
    (s) => s.lane?.fallbacks,
  );
}
