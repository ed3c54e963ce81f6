import type { Metric } from "prom-client";
import { RTT_BUCKETS_MS } from "../counters/counters.ts";
import type { CountersSnapshot } from "../counters/registry.ts";

/**
 * `sssonector_keepalive_rtt_seconds`, a histogram of every keepalive round trip, read from the
 * counters model's bucket counts at scrape time (prom-client's own Histogram only takes single
 * observations, so this is a collector of the same shape its registry renders).
 */
export function rttHistogram(snapshot: () => CountersSnapshot): Metric {
  const name = "sssonector_keepalive_rtt_seconds";
  const metric = {
    name,
    help: "Keepalive round trips of all sessions.",
    type: "histogram",
    aggregator: "sum",
    reset() {},
    get() {
      const { counts, sumMs, count } = snapshot().process.rtt;
      let cumulative = 0;
      const values = RTT_BUCKETS_MS.map((bound, i) => {
        cumulative += counts[i] ?? 0;
        return { labels: { le: bound / 1000 }, value: cumulative, metricName: `${name}_bucket` };
      });
      values.push({
        labels: { le: "+Inf" as unknown as number },
        value: count,
        metricName: `${name}_bucket`,
      });
      return Promise.resolve({
        name,
        help: metric.help,
        type: "histogram",
        aggregator: "sum",
        values: [
          ...values,
          { labels: {} as { le: number }, value: sumMs / 1000, metricName: `${name}_sum` },
          { labels: {} as { le: number }, value: count, metricName: `${name}_count` },
        ],
      });
    },
  };
  return metric as unknown as Metric;
}
