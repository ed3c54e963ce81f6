/**
 * What a client may reach through the server: an allow-list, written as the ordered destination
 * rules of its packet filter (src/ip/packet_filter.ts; the first rule holding a destination
 * decides). Pure.
 *
 * Reachable by default: the server's own tunnel addresses and the networks the server pushes
 * (`push_routes`); with `client_to_client: true` also the tunnel networks and every network the
 * registry routes to a client. `reachable:` opens more (the server's LAN address, a service on
 * its public address). Everything else is refused and counted (destination_refused): the server
 * host's other addresses, hosts on its LAN that are not pushed, broadcast, multicast and the
 * link-local ranges (169.254.0.0/16 with cloud metadata at 169.254.169.254, fe80::/10), even
 * inside a pushed network. With `client_to_client: false` no rule, not even `reachable:`, lets
 * one client reach another's addresses or networks.
 *
 * @module
 */

import {
  broadcastOf,
  hostPrefix,
  type IpPrefix,
  networkOf,
  overlaps,
  prefix,
} from "../ip/prefix.ts";
import type { DestinationRule } from "../ip/packet_filter.ts";

/** Refused inside pushed networks too: they never name one host a client should reach. */
export const NEVER_PUSHED: readonly IpPrefix[] = Object.freeze([
  prefix("255.255.255.255/32"),
  prefix("224.0.0.0/4"),
  prefix("169.254.0.0/16"),
  prefix("fe80::/10"),
  prefix("ff00::/8"),
]);

const EVERYTHING: readonly IpPrefix[] = [prefix("0.0.0.0/0"), prefix("::/0")];

export interface ReachableInputs {
  /** The server's tunnel addresses with their prefix (tunnelPrefixes(config)). */
  readonly tunnels: readonly IpPrefix[];
  /** `push_routes`. */
  readonly pushRoutes: readonly IpPrefix[];
  /** Every network the registry routes to a client. */
  readonly registryRoutes: readonly IpPrefix[];
  readonly clientToClient: boolean;
  /** `reachable:`: more destinations the operator opens. @default [] */
  readonly reachable?: readonly IpPrefix[];
}

/** The destination rules of every client's packet filter, in the order they are tried. */
export function reachableRules(inputs: ReachableInputs): DestinationRule[] {
  const { tunnels, pushRoutes, registryRoutes, clientToClient } = inputs;
  const opened = inputs.reachable ?? [];
  const allow = (p: IpPrefix): DestinationRule => ({ allow: true, prefix: p });
  const deny = (p: IpPrefix): DestinationRule => ({ allow: false, prefix: p });
  const otherClients = [...tunnels.map(networkOf), ...registryRoutes];
  const wide = clientToClient ? [...pushRoutes, ...otherClients] : pushRoutes;
  return [
    ...tunnels.map((t) => allow(hostPrefix(t.bytes))),
    // Clients apart: only where a later allow would hold them (the default refuses the rest),
    // which keeps the filter small.
    ...(clientToClient
      ? []
      : otherClients.filter((p) => [...opened, ...pushRoutes].some((open) => overlaps(open, p)))
        .map(deny)),
    ...opened.map(allow),
    ...NEVER_PUSHED.map(deny),
    ...wide.flatMap(directedBroadcast).map(deny),
    ...wide.map(allow),
    ...EVERYTHING.map(deny),
  ];
}

/** The broadcast address of an IPv4 network of /30 or wider, as a host prefix. */
function directedBroadcast(p: IpPrefix): IpPrefix[] {
  if (p.family !== 4 || p.length > 30 || p.length === 0) return [];
  return [hostPrefix(broadcastOf(p))];
}
