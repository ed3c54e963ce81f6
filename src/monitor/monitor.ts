/**
 * The monitoring endpoint: `/metrics` (Prometheus), `/healthz` (the process answers),
 * `/readyz` (server: listening; client: session up; 503 with a one-line reason otherwise),
 * `/status.json`, `/history.json` and the status page `/`. Binds when started, before the tunnel
 * (and before any privilege drop); reads the tunnel's state at request time, and samples its
 * throughput once a second into a bounded history (history.ts) so that the page and
 * `sssonector status` show rates and the last ten minutes at once.
 *
 * @module
 */

import type { MonitoringConfig } from "../config/types.ts";
import {
  type MonitorHttpOptions,
  MonitorHttpServer,
  type MonitorRequest,
  type MonitorResponse,
} from "./http_server.ts";
import { type BuildInfo, type ProcessFacts, TunnelMetrics } from "./metrics.ts";
import type { MonitorSource } from "./source.ts";
import { STATUS_PAGE, STATUS_PAGE_CSP } from "./status_page.ts";
import { statusReport, trafficTotals } from "./status.ts";
import { TrafficHistory } from "./history.ts";

const TEXT = "text/plain; charset=utf-8";

export interface MonitorOptions extends MonitorHttpOptions {
  readonly build: BuildInfo;
  /** Open descriptors and their limit; left out of /metrics when absent. */
  readonly processFacts?: ProcessFacts;
  /** Time between two samples of the history. @default 1000 */
  readonly sampleIntervalMs?: number;
  /** Samples the history keeps. @default 600 (10 minutes at 1 s) */
  readonly historyCapacity?: number;
}

export class Monitor implements AsyncDisposable {
  readonly #server: MonitorHttpServer;
  readonly #sampler: ReturnType<typeof setInterval>;

  private constructor(server: MonitorHttpServer, sampler: ReturnType<typeof setInterval>) {
    this.#server = server;
    this.#sampler = sampler;
  }

  /**
   * Binds `config.address:config.port` and serves.
   *
   * @throws {MonitorBindError} when the port cannot be bound.
   */
  static start(
    config: Pick<MonitoringConfig, "address" | "port">,
    source: MonitorSource,
    options: MonitorOptions,
  ): Monitor {
    const metrics = new TunnelMetrics(source, options.build, options.processFacts);
    const capacity = options.historyCapacity ?? 600;
    const history = new TrafficHistory({ capacity });
    const intervalMs = options.sampleIntervalMs ?? 1000;
    const handler = (request: MonitorRequest) =>
      route(request, { source, metrics, build: options.build, history, intervalMs });
    const server = MonitorHttpServer.listen(
      { hostname: config.address, port: config.port },
      handler,
      options,
    );
    const sample = () => {
      const snapshot = source.snapshot();
      history.record({
        takenAt: snapshot.takenAt,
        totals: trafficTotals(snapshot),
        sessions: snapshot.sessions,
      });
    };
    sample();
    const sampler = setInterval(sample, intervalMs);
    Deno.unrefTimer(sampler as unknown as number);
    return new Monitor(server, sampler);
  }

  get port(): number {
    return this.#server.port;
  }

  close(): Promise<void> {
    clearInterval(this.#sampler);
    return this.#server.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

interface Routes {
  readonly source: MonitorSource;
  readonly metrics: TunnelMetrics;
  readonly build: BuildInfo;
  readonly history: TrafficHistory;
  readonly intervalMs: number;
}

async function route(
  request: MonitorRequest,
  { source, metrics, build, history, intervalMs }: Routes,
): Promise<MonitorResponse> {
  switch (request.path) {
    case "/metrics":
      return { status: 200, contentType: metrics.contentType, body: await metrics.render() };
    case "/healthz":
      return { status: 200, contentType: TEXT, body: "ok\n" };
    case "/readyz": {
      const { ready, reason } = source.readiness();
      return { status: ready ? 200 : 503, contentType: TEXT, body: `${reason}\n` };
    }
    case "/status.json":
      return {
        status: 200,
        contentType: "application/json",
        body: JSON.stringify(statusReport(source, build.version, history)),
      };
    case "/history.json":
      return {
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({
          intervalMs,
          capacity: history.capacity,
          points: history.points(),
        }),
      };
    case "/crl": {
      // The CA's current revocation list, for the rest of a fleet (security.tls.crl_urls).
      const list = source.certificates().revocation;
      return list
        ? { status: 200, contentType: "application/x-pem-file", body: list.pem }
        : { status: 404, contentType: TEXT, body: "no CRL: security.tls.crl_file is not set\n" };
    }
    case "/":
    case "/index.html":
      return {
        status: 200,
        contentType: "text/html; charset=utf-8",
        body: STATUS_PAGE,
        headers: { "Content-Security-Policy": STATUS_PAGE_CSP },
      };
    default:
      return {
        status: 404,
        contentType: TEXT,
        body: "not found; try /metrics, /healthz, /readyz, /status.json, /history.json or /\n",
      };
  }
}
