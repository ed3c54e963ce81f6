/**
 * The addresses a client's carrier depends on outside the tunnel (its underlay): every server of
 * its `server:` list written as an address, every address a server's name resolved to at a dial,
 * the HTTP proxy's address, and the two ends of the connection in use. A route through the tunnel
 * that holds one of them would send the tunnel's own packets into the tunnel (TunnelCrack's
 * "ServerIP" class): the pushed routes that would are refused, and a name that later resolves
 * inside an installed pushed route is not dialled through the tunnel. Pure; bounded (the servers'
 * list bound times the addresses kept per name).
 *
 * @module
 */

import type { ClientConfig } from "../config/types.ts";
import { formatAddress, parseAddress } from "../ip/address.ts";
import { contains, type IpPrefix } from "../ip/prefix.ts";

/** An underlay address and what it is, for the line that refuses a route. */
export interface UnderlayAddress {
  readonly bytes: Uint8Array;
  /** E.g. `server 2's address 198.18.0.2`. */
  readonly what: string;
}

/** Addresses kept per server name (a name with more is unusual; the first ones are kept). */
export const ADDRESSES_PER_NAME = 16;

/** The bytes of an address as node reports it (`::ffff:1.2.3.4` as IPv4, zone dropped). */
export function underlayBytes(text: string): Uint8Array | undefined {
  const bare = text.replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return parseAddress(mapped ? mapped[1]! : bare);
}

/** The address of `1.2.3.4:443` or `[2001:db8::1]:443` (undefined for a name). */
export function remoteBytes(remote: string): Uint8Array | undefined {
  const host = remote.startsWith("[")
    ? remote.slice(1, remote.indexOf("]"))
    : remote.slice(0, remote.lastIndexOf(":"));
  return underlayBytes(host);
}

/** The host of an `http://HOST:PORT` proxy URL, brackets removed. */
function proxyHost(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
  } catch {
    return undefined;
  }
}

/** The ends of the carrier connection in use. */
export interface CarrierEnds {
  /** `address:port` of the server as connected (node's form). */
  readonly remote: string;
  /** The client's own address on that connection, when known. */
  readonly local?: string;
}

export class UnderlayAddresses {
  #fixed: UnderlayAddress[] = [];
  /** Server name -> the addresses it resolved to (latest dial first), at most ADDRESSES_PER_NAME. */
  #resolved = new Map<string, UnderlayAddress[]>();

  constructor(config: Pick<ClientConfig, "servers" | "proxy">) {
    const many = config.servers.length > 1;
    config.servers.forEach((server, index) => {
      const bytes = underlayBytes(server.host);
      if (!bytes) return;
      const who = many ? `server ${index + 1}'s address` : "the server's address";
      this.#fixed.push({ bytes, what: `${who} ${server.host}` });
    });
    const proxy = config.proxy && proxyHost(config.proxy.url);
    const proxyBytes = proxy === undefined ? undefined : underlayBytes(proxy);
    if (proxyBytes) this.#fixed.push({ bytes: proxyBytes, what: `the proxy's address ${proxy}` });
  }

  /** Records what a server's name resolved to at a dial (replacing what it resolved to before). */
  remember(host: string, addresses: readonly string[]): void {
    const kept: UnderlayAddress[] = [];
    for (const text of addresses.slice(0, ADDRESSES_PER_NAME)) {
      const bytes = underlayBytes(text);
      if (bytes) kept.push({ bytes, what: `${formatAddress(bytes)} (what ${host} resolved to)` });
    }
    this.#resolved.set(host, kept);
  }

  /** Every underlay address known now, with the connection's two ends when given. */
  all(ends?: CarrierEnds): UnderlayAddress[] {
    const out = [...this.#fixed, ...[...this.#resolved.values()].flat()];
    const remote = ends && remoteBytes(ends.remote);
    if (remote) out.unshift({ bytes: remote, what: `the server's own address ${ends!.remote}` });
    const local = ends?.local === undefined ? undefined : underlayBytes(ends.local);
    if (local) {
      out.push({
        bytes: local,
        what: `this host's own address ${formatAddress(local)} on the path to the server`,
      });
    }
    return out;
  }

  /** The first underlay address `route` holds, or undefined. */
  heldBy(route: IpPrefix, ends?: CarrierEnds): UnderlayAddress | undefined {
    return this.all(ends).find((address) => contains(route, address.bytes));
  }
}

/**
 * Why `address` (one a server's name resolved to) must not be dialled: it lies inside a route
 * through the tunnel, so the connection would enter the tunnel it is meant to carry. Undefined
 * when it may be dialled.
 */
export function routedIntoTunnel(
  address: string,
  routes: readonly IpPrefix[],
  format: (route: IpPrefix) => string,
): string | undefined {
  const bytes = underlayBytes(address);
  const route = bytes && routes.find((r) => contains(r, bytes));
  return route === undefined
    ? undefined
    : `${address} lies inside ${format(route)}, routed through the tunnel: not dialled through it`;
}
