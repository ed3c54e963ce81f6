/**
 * The monitoring endpoint: `/metrics` (Prometheus), `/healthz` (the process answers),
 * `/readyz` (server: listening; client: session up; 503 with a one-line reason otherwise),
 * `/status.json` and the status page `/`. Binds when started, before the tunnel (and before any
 * privilege drop); reads the tunnel's state only at request time.
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
import { statusReport } from "./status.ts";

const TEXT = "text/plain; charset=utf-8";

export interface MonitorOptions extends MonitorHttpOptions {
  readonly build: BuildInfo;
  /** Open descriptors and their limit; left out of /metrics when absent. */
  readonly processFacts?: ProcessFacts;
}

export class Monitor implements AsyncDisposable {
  readonly #server: MonitorHttpServer;

  private constructor(server: MonitorHttpServer) {
    this.#server = server;
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
    const handler = (request: MonitorRequest) => route(request, source, metrics, options.build);
    const server = MonitorHttpServer.listen(
      { hostname: config.address, port: config.port },
      handler,
      options,
    );
    return new Monitor(server);
  }

  get port(): number {
    return this.#server.port;
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function route(
  request: MonitorRequest,
  source: MonitorSource,
  metrics: TunnelMetrics,
  build: BuildInfo,
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
        body: JSON.stringify(statusReport(source, build.version)),
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
        body: "not found; try /metrics, /healthz, /readyz, /status.json or /\n",
      };
  }
}
