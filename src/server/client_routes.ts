/**
 * The kernel routes of the server's clients: what PoolRoutes decides (which routes, which
 * metric) applied to the TUN through DeviceRoutes, with one line for each route a client gains.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { formatPrefix, type IpPrefix } from "../ip/prefix.ts";
import { DeviceRoutes } from "../tunnel/data_path.ts";
import type { TunnelDevice } from "../tunnel/device.ts";
import { type AdmittedRoutes, type MetricRoute, PoolRoutes } from "./pool_routes.ts";

export class ClientRoutes<Owner> {
  #log: Logger;
  #routes: DeviceRoutes;
  #pool: PoolRoutes<Owner>;

  constructor(device: TunnelDevice, log: Logger, options: { pool: boolean }) {
    this.#log = log;
    this.#routes = new DeviceRoutes(device, log);
    this.#pool = new PoolRoutes({ pool: options.pool });
  }

  /** `owner` now holds `name`: its routes are added before an earlier session's go. */
  admit(name: string, owner: Owner, admitted: AdmittedRoutes): void {
    this.#change(name, this.#pool.admit(name, owner, admitted));
  }

  /** A reload gave `owner` other networks. */
  reroute(name: string, owner: Owner, admitted: AdmittedRoutes): void {
    this.#change(name, this.#pool.reroute(name, owner, admitted));
  }

  /** `owner` ended: its routes go, unless a newer session holds the name. */
  release(name: string, owner: Owner): void {
    this.#remove(name, this.#pool.release(name, owner));
  }

  /** Adds `changes.install`, then removes `changes.uninstall`, each with its metric. */
  #change(
    name: string,
    changes: { install: readonly MetricRoute[]; uninstall: readonly MetricRoute[] },
  ): void {
    for (const { prefix, metric } of changes.install) {
      this.#logRoutes(this.#routes.install([prefix], `client ${name}`, metric), name);
    }
    this.#remove(name, changes.uninstall);
  }

  #remove(name: string, routes: readonly MetricRoute[]): void {
    for (const { prefix, metric } of routes) {
      this.#routes.remove([prefix], `client ${name}`, metric);
    }
  }

  #logRoutes(routes: readonly IpPrefix[], name: string): void {
    for (const route of routes) {
      this.#log.info("route {route} now goes to client {name}", {
        route: formatPrefix(route),
        name,
      });
    }
  }
}
