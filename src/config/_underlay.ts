/**
 * The addresses, written in the file, that the carrier travels to outside the tunnel: a
 * client's servers and proxy, a server's `listen` address. A route through the tunnel holding one
 * would route the tunnel into itself (TunnelCrack's "ServerIP" class), so such a route is refused
 * at config check; names and wildcard listen addresses are checked where they become addresses
 * (src/client/underlay.ts). Pure.
 *
 * @module
 */

import { parseAddress } from "../ip/address.ts";
import { contains, formatPrefix, type IpPrefix } from "../ip/prefix.ts";

type Path = readonly PropertyKey[];

/** An address of the file's underlay, where it is written and what it is. */
export interface UnderlayLiteral {
  readonly bytes: Uint8Array;
  readonly path: Path;
  readonly what: string;
}

/** The host of `host:port` / `[v6]:port` (undefined when the text is no endpoint). */
function hostOf(text: string): string | undefined {
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    return end < 0 ? undefined : text.slice(1, end);
  }
  const colon = text.lastIndexOf(":");
  return colon < 0 ? text : text.slice(0, colon);
}

function literal(text: unknown, path: Path, what: string): UnderlayLiteral[] {
  if (typeof text !== "string") return [];
  const host = hostOf(text);
  const bytes = host === undefined ? undefined : parseAddress(host);
  // A wildcard listen address holds every address of the host: nothing written to compare.
  if (!bytes || bytes.every((b) => b === 0)) return [];
  return [{ bytes, path, what: `${what} ${host}` }];
}

/** The underlay addresses written in `data` (the file as plain data). */
export function underlayLiterals(data: Readonly<Record<string, unknown>>): UnderlayLiteral[] {
  if (data.mode === "server") {
    return literal(data.listen, ["listen"], "the server's listen address");
  }
  const out: UnderlayLiteral[] = [];
  const server = data.server;
  if (Array.isArray(server)) {
    server.forEach((entry, i) =>
      out.push(...literal(entry, ["server", i], `server ${i + 1}'s address`))
    );
  } else out.push(...literal(server, ["server"], "the server's address"));
  const proxy = data.proxy;
  if (typeof proxy === "object" && proxy !== null && "url" in proxy) {
    const url = typeof proxy.url === "string" ? proxy.url.replace(/^[a-z]+:\/\//i, "") : "";
    out.push(...literal(url.replace(/\/.*$/, ""), ["proxy", "url"], "the proxy's address"));
  }
  return out;
}

/** The line refusing `route` when it holds one of `underlay`, or undefined. */
export function routeIntoItself(
  route: IpPrefix,
  underlay: readonly UnderlayLiteral[],
  where: (path: Path) => string,
): string | undefined {
  const held = underlay.find((address) => contains(route, address.bytes));
  if (held === undefined) return undefined;
  return `${formatPrefix(route)} holds ${held.what} (${
    where(held.path)
  }): the tunnel's own packets would be routed into the tunnel; route a network without it`;
}
