/**
 * `/metrics` in the Prometheus text format, through prom-client. Every tunnel metric is read from
 * one `CounterRegistry.snapshot()` taken at scrape time (the registry keeps per-peer totals
 * monotonic across reconnects), so the figures of one scrape agree with each other. Process CPU,
 * memory and descriptors come from prom-client's default metrics.
 *
 * Names follow Prometheus conventions: `sssonector_` prefix, base units (bytes, seconds),
 * `_total` for counters. Directions are the tunnel's: `in` is what the peer sent us, `out` what
 * we sent it. The `peer` label is the common name of the peer's certificate, so its cardinality
 * is bounded by the certificates the CA issued.
 *
 * @module
 */

import { collectDefaultMetrics, Counter, Gauge, type Metric, Registry } from "prom-client";
import type { CountersSnapshot } from "../counters/registry.ts";
import type { DropCounters } from "../counters/counters.ts";
import { addCertificateMetrics } from "./certificate_metrics.ts";
import type { MonitorSource } from "./source.ts";
import { rttHistogram } from "./rtt_histogram.ts";
import { addCarrierMetrics } from "./carrier_metrics.ts";
import { addLaneMetrics } from "./lane_metrics.ts";

/** What `sssonector_build_info` says. */
export interface BuildInfo {
  readonly version: string;
  readonly deno: string;
  /** The git commit, when known (the launcher exports SSSONECTOR_COMMIT). */
  readonly commit?: string;
}

/** Drop reasons of a session, in the label spelling. */
const DROP_REASONS: ReadonlyArray<readonly [keyof DropCounters, string]> = [
  ["spoofed", "spoofed"],
  ["malformed", "malformed"],
  ["tunWrite", "tun_write"],
  ["destination", "destination_refused"],
  ["linkLocal", "link_local"],
  ["congested", "congested"],
  ["control", "control"],
];

/** Descriptor counts from the native shim (Deno refuses /proc/self without --allow-all). */
export interface ProcessFacts {
  openFds(): number | undefined;
  maxFds(): number | undefined;
}

/**
 * prom-client's default metrics that work under the program's permission set: CPU seconds,
 * start time, event loop lag, V8 heap and GC. Left out: those that read /proc/self (Deno refuses
 * it without --allow-all, so they would show 0; memory and descriptors are measured here
 * instead) and the gauges named `_total`, whose names promtool rejects.
 */
const FROM_PROC = new Set([
  "process_resident_memory_bytes",
  "process_virtual_memory_bytes",
  "process_heap_bytes",
  "process_open_fds",
  "process_max_fds",
]);

function addDefaultMetrics(registry: Registry): void {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  // The typings call these MetricObjects; they are the metric instances themselves.
  for (const metric of defaults.getMetricsAsArray() as unknown as Metric[]) {
    const { name, type } = metric as unknown as { name: string; type: string };
    if (FROM_PROC.has(name) || (name.endsWith("_total") && type !== "counter")) continue;
    registry.registerMetric(metric);
  }
}

export class TunnelMetrics {
  readonly registry = new Registry();
  readonly #source: MonitorSource;
  #snapshot: CountersSnapshot | undefined;

  constructor(source: MonitorSource, build: BuildInfo, facts?: ProcessFacts) {
    this.#source = source;
    const registers = [this.registry];
    addDefaultMetrics(this.registry);

    const fill = this.#fill.bind(this);
    /** What every metric here is made with: its collect() fills it from the current snapshot. */
    const options = <M extends { reset(): void }, L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      collect: (metric: M, snapshot: CountersSnapshot) => void,
    ) => ({
      name,
      help,
      labelNames,
      registers,
      collect(this: M) {
        fill(this, collect);
      },
    });
    const gauge = <L extends string>(
      ...args: Parameters<typeof options<Gauge<L>, L>>
    ) => new Gauge(options(...args));
    const counter = <L extends string>(
      ...args: Parameters<typeof options<Counter<L>, L>>
    ) => new Counter(options(...args));

    gauge(
      "process_resident_memory_bytes",
      "Resident memory size in bytes.",
      [],
      (m) => m.set(Deno.memoryUsage().rss),
    );
    if (facts !== undefined) {
      gauge("process_open_fds", "Number of open file descriptors.", [], (m) => {
        const n = facts.openFds();
        if (n !== undefined) m.set(n);
      });
      gauge("process_max_fds", "Maximum number of open file descriptors.", [], (m) => {
        const n = facts.maxFds();
        if (n !== undefined) m.set(n);
      });
    }
    gauge(
      "sssonector_build_info",
      "Version of SSSonector and of the Deno runtime it runs on; always 1.",
      ["version", "deno_version", "commit", "mode"],
      (m) =>
        m.set({
          version: build.version,
          deno_version: build.deno,
          commit: build.commit ?? "unknown",
          mode: source.mode,
        }, 1),
    );
    gauge(
      "sssonector_ready",
      "1 when the process does its job (server: listening; client: session up), else 0.",
      [],
      (m) => m.set(source.readiness().ready ? 1 : 0),
    );
    gauge(
      "sssonector_client_server",
      "Client: 1 for the server of the open session, by its address and place in server: " +
        "(position 1 is the preferred one); no series while disconnected.",
      ["server", "position"],
      (m) => {
        const active = source.activeServer();
        if (active) m.set({ server: active.server, position: String(active.position) }, 1);
      },
    );
    gauge("sssonector_sessions_active", "Sessions open now.", [], (m, s) => {
      m.set(s.sessions.length);
    });
    counter(
      "sssonector_sessions_opened_total",
      "Sessions that completed the Hello exchange.",
      [],
      (m, s) => m.inc(s.process.connections.sessionsOpened),
    );
    counter(
      "sssonector_peer_sessions_total",
      "Sessions each peer certificate has had, live ones included.",
      ["peer"],
      (m, s) => {
        for (const peer of s.peers) m.inc({ peer: peer.name }, peer.sessions);
      },
    );
    counter(
      "sssonector_peer_bytes_total",
      "Bytes of IP packets per peer certificate and direction (in: from the peer to our TUN; " +
        "out: from our TUN to the peer), across its reconnects.",
      ["peer", "direction"],
      (m, s) => {
        for (const { name, traffic } of s.peers) {
          m.inc({ peer: name, direction: "in" }, traffic.bytesIn);
          m.inc({ peer: name, direction: "out" }, traffic.bytesOut);
        }
      },
    );
    counter(
      "sssonector_peer_packets_total",
      "IP packets per peer certificate and direction, across its reconnects.",
      ["peer", "direction"],
      (m, s) => {
        for (const { name, traffic } of s.peers) {
          m.inc({ peer: name, direction: "in" }, traffic.packetsIn);
          m.inc({ peer: name, direction: "out" }, traffic.packetsOut);
        }
      },
    );
    counter(
      "sssonector_peer_dropped_packets_total",
      "Packets dropped on a peer's path, by reason (spoofed source, malformed, refused by the " +
        "TUN write, destination refused by the packet filter, link-local IPv6 source, congested " +
        "send queue, control frames not sent).",
      ["peer", "reason"],
      (m, s) => {
        for (const { name, traffic } of s.peers) {
          for (const [key, reason] of DROP_REASONS) {
            m.inc({ peer: name, reason }, traffic.drops[key]);
          }
        }
      },
    );
    counter(
      "sssonector_dropped_packets_total",
      "Packets dropped by the process, by reason: the per-peer reasons summed, plus unroutable " +
        "(no session owns the destination) and conversion_failed (a super-packet that could not " +
        "be segmented for a peer without offloads).",
      ["reason"],
      (m, s) => {
        for (const [key, reason] of DROP_REASONS) {
          m.inc({ reason }, s.peers.reduce((sum, peer) => sum + peer.traffic.drops[key], 0));
        }
        m.inc({ reason: "unroutable" }, s.process.tun.unroutable);
        m.inc({ reason: "conversion_failed" }, s.process.tun.conversionDropped);
      },
    );
    counter(
      "sssonector_handshakes_refused_total",
      "Connections refused at or after the TLS handshake, by reason.",
      ["reason"],
      (m, s) => {
        for (const [reason, n] of Object.entries(s.process.connections.refused)) {
          m.inc({ reason }, n);
        }
      },
    );
    counter(
      "sssonector_connections_capped_total",
      "Connections closed before the handshake because a cap was reached, by cap.",
      ["cap"],
      (m, s) => {
        for (const [cap, n] of Object.entries(s.process.connections.capped)) m.inc({ cap }, n);
      },
    );
    counter(
      "sssonector_handshake_timeouts_total",
      "Connections closed because the TLS handshake or the Hello took too long.",
      [],
      (m, s) => m.inc(s.process.connections.handshakeTimeouts),
    );
    counter(
      "sssonector_reconnects_total",
      "Client: connection attempts after the first.",
      [],
      (m, s) => m.inc(s.process.connections.reconnects),
    );
    this.registry.registerMetric(rttHistogram(() => this.#snapshot ?? this.#source.snapshot()));
    gauge(
      "sssonector_session_rtt_seconds",
      "Last keepalive round trip of each live session.",
      ["peer", "remote"],
      (m, s) => {
        for (const session of s.sessions) {
          if (session.rttMs === undefined) continue;
          m.set({ peer: session.peerName, remote: session.remote }, session.rttMs / 1000);
        }
      },
    );
    gauge(
      "sssonector_session_queued_bytes",
      "Bytes handed to TLS for each live session and not yet written.",
      ["peer", "remote"],
      (m, s) => {
        for (const session of s.sessions) {
          m.set({ peer: session.peerName, remote: session.remote }, session.queuedBytes);
        }
      },
    );
    addCarrierMetrics({ gauge, counter });
    addLaneMetrics({ gauge, counter });
    counter(
      "sssonector_tun_read_packets_total",
      "Packets read from the TUN device.",
      [],
      (m, s) => m.inc(s.process.tun.packets),
    );
    counter(
      "sssonector_tun_read_batches_total",
      "Batched reads from the TUN device.",
      [],
      (m, s) => m.inc(s.process.tun.batches),
    );
    counter(
      "sssonector_mss_clamped_total",
      "TCP SYNs whose MSS option the tunnel lowered to fit its MTU (network.clamp_mss), by " +
        "direction: read from the local network into the tunnel, or written out of it.",
      ["direction"],
      (m) => {
        const clamped = source.mssClamped();
        m.inc({ direction: "into_tunnel" }, clamped.read);
        m.inc({ direction: "out_of_tunnel" }, clamped.written);
      },
    );
    gauge(
      "sssonector_tun_offload",
      "1 when the TUN device runs with checksum and segmentation offloads, else 0.",
      [],
      (m) => m.set(source.offload() ? 1 : 0),
    );
    counter(
      "sssonector_reloads_total",
      "SIGHUP reloads by what happened to the certificate set: swapped (new set in use), " +
        "unchanged, kept (the new files failed a check; the running set stays) or failed.",
      ["result"],
      (m, s) => {
        for (const result of ["swapped", "unchanged", "kept", "failed"]) {
          m.inc({ result }, s.process.reloads.results[result] ?? 0);
        }
      },
    );
    counter(
      "sssonector_log_reopen_failures_total",
      "SIGHUP reloads that could not reopen the log file (the old one stayed in use).",
      [],
      (m, s) => m.inc(s.process.reloads.logReopenFailures),
    );
    counter(
      "sssonector_log_failed_writes_total",
      "Log lines that could not be written (the tunnel went on).",
      [],
      (m, s) => m.inc(s.process.log.failedWrites),
    );
    addCertificateMetrics({ gauge, counter }, source);
  }

  /** The content type of `render()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric now, from one snapshot. */
  async render(): Promise<string> {
    this.#snapshot = this.#source.snapshot();
    try {
      return await this.registry.metrics();
    } finally {
      this.#snapshot = undefined;
    }
  }

  /**
   * The collect step of every metric, which prom-client runs before reading its values: reset,
   * then filled from the scrape's snapshot, so label sets of sessions that ended disappear and
   * counters show the registry's totals.
   */
  #fill<M extends { reset(): void }>(
    metric: M,
    collect: (metric: M, snapshot: CountersSnapshot) => void,
  ): void {
    metric.reset();
    collect(metric, this.#snapshot ?? this.#source.snapshot());
  }
}
