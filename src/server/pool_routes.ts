/**
 * Which kernel routes a server keeps for its clients, and with which metric: pure logic, no I/O
 * (the server adds and removes them on the TUN as told).
 *
 * - **Alone** (`pool: false`, the default): each client's networks (its `clients:` routes) are
 *   routed to the TUN with the kernel's default metric while it is connected; its tunnel address
 *   needs no route of its own (the tunnel network is the TUN's connected route).
 * - **In a pool** (`pool: true`): several servers take the same clients, and a routing daemon on
 *   each (BIRD, FRR) announces the routes of protocol 83 to the LAN. Each client then also gets a
 *   host route (/32, /128) for each of its tunnel addresses, since every server has the whole
 *   tunnel network on its TUN; and every route carries a **freshness metric**: the later the
 *   session started, the lower the metric. A client that moves from server A to server B is
 *   routed by B with a lower metric than A's, so the LAN prefers B at once, even while A still
 *   holds its old session (a half-open TCP connection A has not noticed yet): make-before-break
 *   without any state shared between servers. The servers' clocks must agree to better than the
 *   time a client takes to move (NTP does).
 *
 * The metric is {@linkcode POOL_METRIC_BASE} plus a count of {@linkcode POOL_METRIC_STEP_MS}
 * ticks that goes down as time goes on, wrapping every {@linkcode POOL_METRIC_RANGE} ticks (about
 * 3.4 years): a handover across that instant prefers the older session until it ends.
 *
 * A client that connects again to the same server gets its routes with the new metric added
 * first, then those with the old one removed, so the route never leaves the kernel.
 *
 * Bounds: one entry per name holding a session (admission caps these at `max_clients`), each at
 * most two host routes plus its registry routes.
 *
 * @module
 */

import { type IpPrefix, samePrefix } from "../ip/prefix.ts";

/** The lowest freshness metric: above the metrics that daemons and the kernel use by default. */
export const POOL_METRIC_BASE = 1_000_000;
/** Sessions started within one tick get the same metric. */
export const POOL_METRIC_STEP_MS = 100;
/** Distinct freshness metrics; BASE + RANGE stays below 2^32 (RTA_PRIORITY, BGP MED). */
export const POOL_METRIC_RANGE = 2 ** 30;

/** The metric of a route for a session that started at `startMs` (ms since the epoch). */
export function freshnessMetric(startMs: number): number {
  const tick = Math.floor(startMs / POOL_METRIC_STEP_MS);
  const wrapped = ((tick % POOL_METRIC_RANGE) + POOL_METRIC_RANGE) % POOL_METRIC_RANGE;
  return POOL_METRIC_BASE + (POOL_METRIC_RANGE - 1 - wrapped);
}

/** A route and the metric it has in the kernel (0: the kernel's default). */
export interface MetricRoute {
  readonly prefix: IpPrefix;
  readonly metric: number;
}

/** What the server does when a session is admitted: add these first, then remove those. */
export interface RouteChanges {
  readonly install: readonly MetricRoute[];
  readonly uninstall: readonly MetricRoute[];
}

/** What admission gave a session: host prefixes (/32, /128) of its tunnel addresses, its networks. */
export interface AdmittedRoutes {
  readonly addresses: readonly IpPrefix[];
  readonly routes: readonly IpPrefix[];
}

export interface PoolRoutesOptions {
  /** `pool:` of the server's configuration. @default false */
  readonly pool?: boolean;
  /** The clock the metric reads. @default Date.now */
  readonly now?: () => number;
}

interface Installed<Owner> {
  readonly owner: Owner;
  /** The session's metric (0 alone), kept when a reload changes its networks. */
  readonly metric: number;
  readonly routes: readonly MetricRoute[];
}

/** The routes each client's session holds in the kernel; `Owner` is the session. */
export class PoolRoutes<Owner> {
  readonly pool: boolean;
  #now: () => number;
  #byName = new Map<string, Installed<Owner>>();

  constructor(options: PoolRoutesOptions = {}) {
    this.pool = options.pool ?? false;
    this.#now = options.now ?? Date.now;
  }

  /**
   * `owner` now holds `name` with what admission gave it (replacing any earlier session of the
   * name): the routes to add, then the routes of the earlier session to remove.
   */
  admit(name: string, owner: Owner, admitted: AdmittedRoutes): RouteChanges {
    return this.#hold(name, owner, admitted, this.pool ? freshnessMetric(this.#now()) : 0);
  }

  /**
   * A reload gave `owner`'s session other networks: the routes to add, then those to remove, with
   * the metric the session has (a reload does not make it fresher). Nothing when `owner` no
   * longer holds `name`.
   */
  reroute(name: string, owner: Owner, admitted: AdmittedRoutes): RouteChanges {
    const installed = this.#byName.get(name);
    if (!installed || installed.owner !== owner) return { install: [], uninstall: [] };
    return this.#hold(name, owner, admitted, installed.metric);
  }

  #hold(name: string, owner: Owner, admitted: AdmittedRoutes, metric: number): RouteChanges {
    const prefixes = this.pool ? [...admitted.addresses, ...admitted.routes] : admitted.routes;
    const routes = prefixes.map((prefix) => ({ prefix, metric }));
    const before = this.#byName.get(name)?.routes ?? [];
    this.#byName.set(name, { owner, metric, routes });
    return {
      install: routes,
      uninstall: before.filter((old) => !routes.some((route) => sameRoute(route, old))),
    };
  }

  /** The session `owner` ended: the routes to remove, none when a newer session holds the name. */
  release(name: string, owner: Owner): readonly MetricRoute[] {
    const installed = this.#byName.get(name);
    if (!installed || installed.owner !== owner) return [];
    this.#byName.delete(name);
    return installed.routes;
  }

  /** The routes `name` holds now, for status reports. */
  routesOf(name: string): readonly MetricRoute[] {
    return this.#byName.get(name)?.routes ?? [];
  }
}

function sameRoute(a: MetricRoute, b: MetricRoute): boolean {
  return a.metric === b.metric && samePrefix(a.prefix, b.prefix);
}
