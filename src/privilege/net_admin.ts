import type { Config } from "../config/types.ts";

/**
 * Why the tunnel must keep CAP_NET_ADMIN after the privilege drop (on one shim thread that only
 * adds and removes routes), or undefined when it needs no capability at all: routes that come and
 * go with sessions are the only reason.
 */
export function netAdminReason(config: Config): string | undefined {
  if (config.mode === "server") {
    if (config.pool) {
      return "a pool server routes each client's tunnel addresses while it is connected (pool: true)";
    }
    const routed = config.registry?.clients.some((client) => client.routes.length > 0) ?? false;
    return routed
      ? "the networks of registered clients are routed while they are connected"
      : undefined;
  }
  return config.acceptRoutes
    ? "the routes the server announces are installed for each session (accept_routes: false " +
      "gives this up)"
    : undefined;
}
