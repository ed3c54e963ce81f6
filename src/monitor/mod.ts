/**
 * Metrics, health, readiness and the status page of a running tunnel.
 *
 * @module
 */

export { Monitor, type MonitorOptions } from "./monitor.ts";
export { MonitorBindError } from "./http_server.ts";
export { MonitorSource, type Readiness, type TunnelState } from "./source.ts";
export type { BuildInfo, ProcessFacts } from "./metrics.ts";
