/**
 * A client's own connection must not be routed into the tunnel (TunnelCrack's "ServerIP" class,
 * seen from the server): the server routes every `clients:` network through the tunnel while its
 * client is connected, so a client whose carrier comes from an address inside such a network
 * would have the server's answers to its carrier sent into the tunnel (its own, or another
 * client's), and the session would loop or be hijacked. Such a session is refused with one line
 * that names the network and whose it is. Pure.
 *
 * @module
 */

import type { ServerConfig } from "../config/types.ts";
import { parseAddress } from "../ip/address.ts";
import { contains, formatPrefix } from "../ip/prefix.ts";

/** The bytes of `1.2.3.4`, `::ffff:1.2.3.4`, `2001:db8::1` or `[2001:db8::1]:443` / `1.2.3.4:443`. */
function addressOf(text: string): Uint8Array | undefined {
  let host = text;
  if (host.startsWith("[")) host = host.slice(1, host.indexOf("]"));
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(host)) host = host.slice(0, host.lastIndexOf(":"));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return parseAddress(mapped ? mapped[1]! : host.replace(/%.*$/, ""));
}

/**
 * Why the client `name` connecting from `remote` (its carrier's address) must be refused, or
 * undefined: `remote` lies inside a network the registry routes through the tunnel.
 */
export function carrierInsideRoutes(
  name: string,
  remote: string,
  config: Pick<ServerConfig, "registry">,
): string | undefined {
  const bytes = addressOf(remote);
  if (!bytes) return undefined;
  for (const client of config.registry?.clients ?? []) {
    const route = client.routes.find((r) => contains(r, bytes));
    if (route === undefined) continue;
    const whose = client.name === name ? "its own network" : `the network of ${client.name}`;
    return `${name} connects from ${remote}, inside ${formatPrefix(route)}, ${whose} in ` +
      `clients:, which the server routes through the tunnel: its connection would be routed ` +
      `into the tunnel; take that address out of the route, or connect from another address`;
  }
  return undefined;
}
