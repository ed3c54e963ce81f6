/**
 * The fleet lab's pool of two servers, as pure functions (tools/lab/fleet_pool.ts does the work):
 * server a is the lab's usual server, server b a second one in the same server namespace with
 * its own underlay address on the bridge, its own TUN, its own certificate and its own tunnel
 * address in the same tunnel network. Both run with `pool: true`, so each routes the clients it
 * holds by a host route on its own TUN (the connected tunnel network is on both TUNs, and a host
 * route is more specific). Client i lists its own server first and the other second: odd clients
 * prefer a, even clients b, so any first n clients are spread half and half.
 *
 * @module
 */

import { formatAddress, parseIpv4 } from "../../src/ip/address.ts";
import { ipv4FromWord, ipv4ToWord } from "../../src/ip/ipv4_word.ts";
import { FLEET_PORT } from "./fleet_configs.ts";
import { FLEET_SERVER_TUNNEL, FLEET_SERVER_UNDERLAY, FLEET_UNDERLAY_PREFIX } from "./fleet_plan.ts";

/** Server b's address on the lab's bridge: the underlay's last host address (198.18.255.254). */
export const POOL_PEER_UNDERLAY = lastHost(FLEET_SERVER_UNDERLAY, FLEET_UNDERLAY_PREFIX);
/** Server b's TUN device in the server namespace (server a has the lab's tun0). */
export const POOL_PEER_INTERFACE = "tunb";
/** Server b's certificate folder, under the lab's folder (same CA as the lab's certs/). */
export const POOL_PEER_CERT_DIR = "certs-b";

/** One of the pool's two servers. */
export type PoolMember = "a" | "b";

/** The last host address (before broadcast) of `address`'s /prefix network. */
function lastHost(address: string, prefixLength: number): string {
  if (!Number.isInteger(prefixLength) || prefixLength < 8 || prefixLength > 30) {
    throw new RangeError(`A pool lab needs a tunnel prefix of /8 to /30, not /${prefixLength}`);
  }
  const size = 2 ** (32 - prefixLength);
  const start = ipv4ToWord(parseIpv4(address) ?? new Uint8Array(0));
  return formatAddress(ipv4FromWord(start - (start % size) + size - 2));
}

/**
 * Server b's tunnel address in a tunnel of `prefixLength`: the network's last host address
 * (10.0.255.254 in a /16), far from the clients' and the load identities', which count up
 * from 10.0.0.2.
 */
export function poolPeerTunnelIp(prefixLength: number): string {
  return lastHost(FLEET_SERVER_TUNNEL, prefixLength);
}

/** The server client `index` (1-based) prefers: a for odd, b for even. */
export function poolMemberOf(index: number): PoolMember {
  if (!Number.isSafeInteger(index) || index < 1) {
    throw new RangeError(`Client indexes start at 1, not ${index}`);
  }
  return index % 2 === 1 ? "a" : "b";
}

/** A pool member's `host:port` on the underlay. */
export function poolServerEndpoint(member: PoolMember): string {
  return `${member === "a" ? FLEET_SERVER_UNDERLAY : POOL_PEER_UNDERLAY}:${FLEET_PORT}`;
}

/** Client `index`'s `server:` list: the server it prefers first, the other after it. */
export function poolServerList(index: number): [string, string] {
  const own = poolMemberOf(index);
  return [poolServerEndpoint(own), poolServerEndpoint(own === "a" ? "b" : "a")];
}

/** The tunnel address of the server client `index` prefers (where its traffic goes). */
export function poolTargetTunnelIp(index: number, prefixLength: number): string {
  return poolMemberOf(index) === "a" ? FLEET_SERVER_TUNNEL : poolPeerTunnelIp(prefixLength);
}

/** How many of the first `count` clients prefer each server. */
export function poolSpread(count: number): Record<PoolMember, number> {
  return { a: Math.ceil(count / 2), b: Math.floor(count / 2) };
}

/** The underlay host a load identity (0-based, in the order issued) connects to: a, b, a, b... */
export function poolLoadHost(position: number): string {
  return position % 2 === 0 ? FLEET_SERVER_UNDERLAY : POOL_PEER_UNDERLAY;
}
