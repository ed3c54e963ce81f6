import { tunnelPrefixes } from "../config/addresses.ts";
import type { ClientConfig } from "../config/types.ts";
import type { StatedPrefix } from "../frame/control.ts";
import type { UnderlayAddress } from "./underlay.ts";
import {
  contains,
  formatPrefix,
  hasHostBits,
  type IpPrefix,
  networkOf,
  overlaps,
  samePrefix,
} from "../ip/prefix.ts";

/** The routes of a server's Hello the client installs, and why it refuses the others. */
export interface PushedRoutes {
  readonly accepted: readonly IpPrefix[];
  readonly refused: readonly string[];
}

/**
 * Judges the routes a server announces (`push_routes`), before any is installed. Pure.
 *
 * Refused: what is not a network, a default route (the server would take all of the host's
 * traffic), a network overlapping the tunnel's own, and one holding an address of the client's
 * underlay (underlay.ts: the server's, any other server's of the list, what their names resolved
 * to, the proxy's, this host's own on the path: the tunnel's packets would be routed into the
 * tunnel). Routes the client's own file already lists are skipped, as they are installed for good.
 */
export function acceptablePushedRoutes(
  routes: readonly StatedPrefix[],
  config: Pick<ClientConfig, "address" | "address6" | "routes">,
  underlay: readonly UnderlayAddress[],
): PushedRoutes {
  const accepted: IpPrefix[] = [];
  const refused: string[] = [];
  const tunnels = tunnelPrefixes(config).map(networkOf);
  for (const { text, prefix: route } of routes) {
    if (route === undefined || hasHostBits(route)) {
      refused.push(`${JSON.stringify(text)} is not a network (address/prefix, host bits clear)`);
      continue;
    }
    if (route.length === 0) {
      refused.push(`${text}: a default route through the tunnel is not taken from the server`);
      continue;
    }
    const tunnel = tunnels.find((t) => overlaps(t, route));
    if (tunnel) {
      refused.push(`${text} overlaps the tunnel network ${formatPrefix(tunnel)}`);
      continue;
    }
    const held = underlay.find((address) => contains(route, address.bytes));
    if (held) {
      refused.push(`${text} holds ${held.what}: the tunnel would be routed into itself`);
      continue;
    }
    if (config.routes.some((own) => samePrefix(own, route))) continue;
    if (accepted.some((other) => samePrefix(other, route))) continue;
    accepted.push(route);
  }
  return { accepted, refused };
}
