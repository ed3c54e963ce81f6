/**
 * What the service manager is told while the tunnel runs (sd_notify READY=1 and STATUS=), from
 * the same readiness the monitor's /readyz reports.
 *
 * @module
 */

import type { Notifier } from "../runtime/notify.ts";
import type { MonitorSource } from "./source.ts";

/** The service manager's STATUS=: readiness, and the server's session count. */
export function serviceStatusLine(source: MonitorSource): string {
  const { reason } = source.readiness();
  if (source.mode !== "server") return reason;
  const sessions = source.snapshot().sessions.length;
  return `${reason}; ${sessions} session${sessions === 1 ? "" : "s"}`;
}

/**
 * READY=1 once the tunnel is ready (the server at once, the client with its first session), then
 * STATUS= whenever the line changes (readiness, and the server's session count); checked twice
 * a second.
 */
export function keepServiceManagerTold(notifier: Notifier, source: MonitorSource): Disposable {
  let told = false;
  let last = "";
  const check = () => {
    const { ready } = source.readiness();
    const reason = serviceStatusLine(source);
    if (ready && !told) {
      told = true;
      last = reason;
      notifier.ready(reason);
    } else if (reason !== last) {
      last = reason;
      notifier.status(reason);
    }
  };
  check();
  const timer = setInterval(check, 500);
  return { [Symbol.dispose]: () => clearInterval(timer) };
}
