import type { Config } from "../config/types.ts";
import { formatPrefix } from "../ip/prefix.ts";
import { type Hello, PROTOCOL_VERSION } from "../frame/control.ts";
import type { KeepaliveOptions } from "./session.ts";
import { VERSION } from "../base/version.ts";

/**
 * Our Hello, stating the tunnel addresses, MTU and the features this side offers; a server also
 * announces its `push_routes`.
 */
export function helloFor(config: Config, features: readonly string[] = []): Hello {
  const routes = config.mode === "server" ? config.pushRoutes.map(formatPrefix) : [];
  return {
    protocol: PROTOCOL_VERSION,
    software: `sssonector/${VERSION}`,
    address: formatPrefix(config.address),
    ...(config.address6 ? { address6: formatPrefix(config.address6) } : {}),
    mtu: config.network.mtu,
    features: [...features],
    ...(routes.length > 0 ? { routes } : {}),
  };
}

/** Keepalive timing from the configuration's network section (seconds there, ms here). */
export function keepaliveFrom(config: Config): KeepaliveOptions {
  return {
    intervalMs: config.network.keepaliveInterval * 1000,
    timeoutMs: config.network.peerTimeout * 1000,
  };
}
