/**
 * The wiring server and client mode share around their device: the TunReader with the device's
 * converter and the process's counters, the session options both build from the configuration,
 * and routes added to and removed from the device with their log lines.
 *
 * @module
 */

import type { CarrierPolicy } from "../transport/congestion_control.ts";
import type { Logger } from "@logtape/logtape";
import type { Config } from "../config/types.ts";
import { observeRtt } from "../counters/counters.ts";
import type { CounterRegistry } from "../counters/registry.ts";
import { Feature } from "../frame/control.ts";
import { formatPrefix, type IpPrefix } from "../ip/prefix.ts";
import { type SinkRouter, TunReader } from "../routing/tun_reader.ts";
import { helloFor, keepaliveFrom } from "../session/hello.ts";
import type { KeepaliveOptions, SessionOptions } from "../session/session.ts";
import { errorMessage } from "../base/error_message.ts";
import type { TunnelDevice } from "./device.ts";

/** Sparse lanes, re-opened on a fresh token when one dies (docs/design/protocol.md). */
const LANE_FEATURES = [Feature.Lanes, Feature.LaneRenew];

/** Where a mode's reader and sessions log and count. */
export interface DataPathContext {
  readonly logger: Logger;
  readonly counters: CounterRegistry;
}

/** The reader that sends what the device reads to the sessions `router` picks (not started). */
export function deviceReader(
  device: TunnelDevice,
  router: SinkRouter,
  { logger, counters }: DataPathContext,
): TunReader {
  return new TunReader(device, router, logger.getChild("tun"), {
    converter: device.converter,
    counters: counters.process.tun,
  });
}

/** Session options that come from the configuration and the device, the same in both modes. */
export type SessionBasics = Pick<
  SessionOptions,
  "hello" | "keepalive" | "handshakeTimeoutMs" | "onRtt" | "carrier"
>;

/**
 * Our Hello (offering sparse lanes, and offloads when the device has them), keepalive (the
 * configuration's unless `keepalive` overrides it), the Hello deadline, and RTTs into the process histogram.
 */
export function sessionBasics(
  config: Config,
  { device, counters, keepalive, carrier }: {
    readonly device: TunnelDevice;
    readonly counters: CounterRegistry;
    readonly keepalive: KeepaliveOptions | undefined;
    readonly carrier: CarrierPolicy | undefined;
  },
): SessionBasics {
  return {
    ...(carrier ? { carrier } : {}),
    hello: helloFor(config, [...(device.offload ? [Feature.Gso] : []), ...LANE_FEATURES]),
    keepalive: keepalive ?? keepaliveFrom(config),
    handshakeTimeoutMs: config.security.handshakeTimeout * 1000,
    onRtt: (ms) => observeRtt(counters.process.rtt, ms),
  };
}

/**
 * Routes through the device on behalf of a peer (`owner`, e.g. "client laptop" or "the server").
 * A route the kernel refuses is logged and left out; it never ends a session.
 */
export class DeviceRoutes {
  readonly #device: TunnelDevice;
  readonly #log: Logger;

  constructor(device: TunnelDevice, log: Logger) {
    this.#device = device;
    this.#log = log;
  }

  /** Adds each route; returns those now installed (an error line for each that is not). */
  install(routes: readonly IpPrefix[], owner: string, metric = 0): IpPrefix[] {
    const installed: IpPrefix[] = [];
    for (const route of routes) {
      try {
        this.#device.addRoute(route, metric);
        installed.push(route);
      } catch (error) {
        this.#log.error("cannot route {route} to {owner}: {reason}", {
          route: formatPrefix(route),
          owner,
          reason: errorMessage(error),
        });
      }
    }
    return installed;
  }

  /** Removes each route (nothing once the device is closed: its routes went with it). */
  remove(routes: readonly IpPrefix[], owner: string, metric = 0): void {
    if (this.#device.closed) return;
    for (const route of routes) {
      try {
        this.#device.removeRoute(route, metric);
      } catch (error) {
        this.#log.warn("cannot remove route {route} of {owner}: {reason}", {
          route: formatPrefix(route),
          owner,
          reason: errorMessage(error),
        });
      }
    }
  }
}
