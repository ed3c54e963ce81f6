import type { Config } from "../config/types.ts";
import { type Hello, PROTOCOL_VERSION } from "../frame/control.ts";
import type { KeepaliveOptions } from "./session.ts";
import { VERSION } from "../version.ts";

/** Our Hello, stating the tunnel address, MTU and the features this side offers. */
export function helloFor(config: Config, features: readonly string[] = []): Hello {
  return {
    protocol: PROTOCOL_VERSION,
    software: `sssonector/${VERSION}`,
    address: `${config.address.ip}/${config.address.prefixLength}`,
    mtu: config.network.mtu,
    features: [...features],
  };
}

/** Keepalive timing from the configuration's network section (seconds there, ms here). */
export function keepaliveFrom(config: Config): KeepaliveOptions {
  return {
    intervalMs: config.network.keepaliveInterval * 1000,
    timeoutMs: config.network.peerTimeout * 1000,
  };
}
