/**
 * Zod builders for the network values of the configuration file: tunnel addresses, routes, the
 * client registry and the server list, on top of the general builders of _fields.ts (same
 * one-line messages).
 *
 * @module
 */

import { z } from "zod";
import {
  formatEndpoint,
  parseHostAddress,
  parseInterfaceAddress,
  parseInterfaceAddress6,
  parseNetwork,
} from "./net.ts";
import type { ParseResult } from "./net.ts";
import type { IpPrefix } from "../ip/prefix.ts";
import type { Endpoint, InterfaceAddress } from "./types.ts";
import { endpoint, flag, refuse, text } from "./_fields.ts";

/** Something with zod's `safeParse`: a schema for the elements of {@linkcode oneOrList}. */
interface Element<T> {
  safeParse(value: unknown): z.ZodSafeParseResult<T>;
}

/**
 * One value, or a list of 1 to `max` of them (`a` or `[a, b]` in the file), each checked by
 * `element`. A problem with an entry of a list is placed on that entry (`key[1]`); a problem with
 * a single value on the key itself.
 */
export function oneOrList<T>(element: Element<T>, max: number, allowed: string) {
  return z.unknown().transform((value, ctx): T[] => {
    const refuseWith = (message: string) => {
      ctx.issues.push({ code: "custom", message, input: value });
      return z.NEVER;
    };
    if (value === undefined || value === null) return refuseWith(refuse(value, "", allowed));
    const listed = Array.isArray(value);
    const items: unknown[] = listed ? value : [value];
    if (items.length === 0) return refuseWith(`an empty list; expected ${allowed}`);
    if (items.length > max) {
      return refuseWith(`a list of ${items.length} entries; at most ${max} allowed: ${allowed}`);
    }
    const values: T[] = [];
    let failed = false;
    for (const [index, item] of items.entries()) {
      const result = element.safeParse(item);
      if (result.success) {
        values.push(result.data);
        continue;
      }
      failed = true;
      for (const issue of result.error.issues) {
        const path = listed ? [index, ...issue.path] : issue.path;
        ctx.issues.push({ code: "custom", message: issue.message, input: item, path });
      }
    }
    return failed ? z.NEVER : values;
  });
}

/** A list of up to `max` values of `element`; an empty key (`routes:` alone) is an empty list. */
function boundedList<T extends z.ZodType>(element: T, max: number, noun: string, allowed: string) {
  return z.preprocess(
    (value) => value ?? [],
    z.array(element, { error: (issue) => refuse(issue.input, "a list", allowed) }).max(max, {
      error: (issue) =>
        `${
          Array.isArray(issue.input) ? issue.input.length : "too many"
        } ${noun} are too many; at most ${max} are allowed`,
    }),
  );
}

/** The tunnel addresses of `address`: the one IPv4 address, and the IPv6 one when given. */
export interface TunnelAddresses {
  readonly v4: InterfaceAddress;
  readonly v6?: IpPrefix;
}

type TunnelAddress =
  | { readonly family: 4; readonly text: string; readonly address: InterfaceAddress }
  | { readonly family: 6; readonly text: string; readonly address: IpPrefix };

/**
 * `address`: an IPv4 interface address with its prefix length (`10.0.0.1/24`), or a list of it
 * and at most one IPv6 interface address (`[10.0.0.1/24, "fd00:5::1/64"]`), in either order.
 */
export function tunnelAddresses() {
  const allowed = `an IPv4 address with its prefix length, e.g. 10.0.0.1/24, ` +
    `or a list of it and one IPv6 address, e.g. [10.0.0.1/24, "fd00:5::1/64"]`;
  const element = text(
    "an interface address",
    allowed,
    (value): ParseResult<TunnelAddress> => {
      if (!value.includes(":")) {
        const v4 = parseInterfaceAddress(value);
        return v4.ok ? { ok: true, value: { family: 4, text: value, address: v4.value } } : v4;
      }
      const v6 = parseInterfaceAddress6(value);
      return v6.ok ? { ok: true, value: { family: 6, text: value, address: v6.value } } : v6;
    },
  );
  return oneOrList(element, 2, allowed).transform((list, ctx): TunnelAddresses => {
    let v4: InterfaceAddress | undefined;
    let v6: IpPrefix | undefined;
    let failed = false;
    for (const [index, entry] of list.entries()) {
      if ((entry.family === 4 ? v4 : v6) !== undefined) {
        failed = true;
        ctx.issues.push({
          code: "custom",
          message: `${
            JSON.stringify(entry.text)
          } is a second IPv${entry.family} address; the tunnel has one IPv4 address and at most one IPv6 address`,
          input: entry.text,
          path: [index],
        });
      } else if (entry.family === 4) v4 = entry.address;
      else v6 = entry.address;
    }
    if (v4 === undefined) {
      const v6Text = list.find((entry) => entry.family === 6)?.text ?? "fd00:5::1/64";
      ctx.issues.push({
        code: "custom",
        message: `${
          list.length === 1
            ? `${JSON.stringify(v6Text)} is an IPv6 address, and the tunnel needs an IPv4 one too`
            : "the list has no IPv4 address, and the tunnel needs one"
        }, e.g. address: [10.0.0.1/24, ${JSON.stringify(v6Text)}]`,
        input: list,
      });
    }
    if (v4 === undefined || failed) return z.NEVER;
    return v6 === undefined ? { v4 } : { v4, v6 };
  });
}

/** A network to route (`192.168.10.0/24`, `fd00:1::/64`), host bits clear. */
export function network() {
  const allowed = `a network with its prefix length, e.g. 192.168.10.0/24 or "fd00:1::/64"`;
  return text("a network", allowed, parseNetwork);
}

/** A list of up to `max` networks ({@linkcode network}); absent or empty means none. */
export function networkList(max: number) {
  return boundedList(
    network(),
    max,
    "networks",
    `a list of networks, e.g. [192.168.10.0/24, "fd00:1::/64"], or [] for none`,
  );
}

/** A client's tunnel address(es) in `clients:`: one host address, or one of each family. */
export function hostAddresses() {
  const allowed = `a host address, e.g. 10.0.0.11, or a list of one IPv4 and one IPv6 address, ` +
    `e.g. [10.0.0.11, "fd00:5::11"]`;
  const element = text("a host address", allowed, parseHostAddress);
  return oneOrList(element, 2, allowed).transform((list, ctx): IpPrefix[] => {
    const [first, second] = list;
    if (first !== undefined && second !== undefined && first.family === second.family) {
      ctx.issues.push({
        code: "custom",
        message:
          `a second IPv${second.family} address; a client has at most one IPv4 and one IPv6 address`,
        input: list,
        path: [1],
      });
      return z.NEVER;
    }
    return list;
  });
}

/** The longest common name a certificate may have (X.520 ub-common-name). */
const MAX_NAME_CHARACTERS = 64;

/** A certificate's common name, as `clients:` entries name their client: 1 to 64 characters. */
export function clientName() {
  const allowed =
    `the certificate's common name, 1 to ${MAX_NAME_CHARACTERS} characters, e.g. web1`;
  return z.string({
    error: (issue) =>
      typeof issue.input === "number"
        ? `${issue.input} is a number, not a name; quote a name made of digits, e.g. name: "1001"`
        : refuse(issue.input, "a name", allowed),
  }).transform((value, ctx): string => {
    const refuseWith = (problem: string) => {
      ctx.issues.push({
        code: "custom",
        message: `${JSON.stringify(value)} ${problem}`,
        input: value,
      });
      return z.NEVER;
    };
    const characters = [...value].length;
    if (characters === 0 || characters > MAX_NAME_CHARACTERS) {
      return refuseWith(`has ${characters} characters; expected ${allowed}`);
    }
    // deno-lint-ignore no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      return refuseWith(`has a control character; expected ${allowed}`);
    }
    if (value.trim() !== value) {
      return refuseWith(
        `starts or ends with a space, which a common name never does; write ${
          JSON.stringify(value.trim())
        }`,
      );
    }
    return value;
  });
}

/** The server's `clients:` list: 1 to `maxClients` entries, each with up to `maxRoutes` routes. */
export function clientList(maxClients: number, maxRoutes: number) {
  const entryKeys = "a mapping with the keys name, allow, address and routes, e.g. - name: web1";
  const entry = z.strictObject({
    name: clientName(),
    allow: flag().default(true),
    address: hostAddresses().default([]),
    routes: networkList(maxRoutes),
  }, { error: (issue) => refuse(issue.input, "a client entry", entryKeys) });
  const allowed = `a list of clients, each ${entryKeys}`;
  return z.array(entry, {
    error: (issue) =>
      issue.input === null
        ? `no value given; list the clients (- name: web1), or remove clients: to accept every certificate the CA signed`
        : refuse(issue.input, "a list", allowed),
  }).min(1, {
    error: "an empty list; list the clients (- name: web1), " +
      "or remove clients: to accept every certificate the CA signed",
  }).max(maxClients, {
    error: (issue) =>
      `${
        Array.isArray(issue.input) ? issue.input.length : "too many"
      } clients are too many; at most ${maxClients} are allowed`,
  });
}

/**
 * A client's `server`: one `HOST:PORT` or a list of 1 to `max` of them, without duplicates
 * (host names compared ignoring case).
 */
export function serverList(max: number) {
  const allowed = `HOST:PORT, e.g. vpn.example.com:443, or a list of them to try in turn, ` +
    `e.g. [vpn1.example.com:443, "[2001:db8::1]:443"]`;
  return oneOrList(endpoint(true), max, allowed).transform((list, ctx): Endpoint[] => {
    const seen = new Map<string, number>();
    let failed = false;
    for (const [index, server] of list.entries()) {
      const key = formatEndpoint(server).toLowerCase();
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, index);
        continue;
      }
      failed = true;
      ctx.issues.push({
        code: "custom",
        message: `${
          JSON.stringify(formatEndpoint(server))
        } is already server[${first}]; list each server once`,
        input: server,
        path: [index],
      });
    }
    return failed ? z.NEVER : list;
  });
}

/**
 * `network.congestion_control`: the carrier TCP's congestion control, by its kernel name (`bbr`,
 * `cubic`, `reno`, ...), or `system` for the host's default.
 */
export function congestionControl() {
  const allowed = 'a congestion control the kernel knows (e.g. bbr, cubic) or "system"';
  return text("a congestion control", allowed, (value): ParseResult<string> => {
    if (/^[a-z0-9_]{1,15}$/.test(value)) return { ok: true, value };
    return { ok: false, message: `${JSON.stringify(value)} is not ${allowed}` };
  });
}

/** `proxy.url`: an HTTP proxy as `http://HOST:PORT`. */
export function proxyUrl() {
  const allowed = "http://HOST:PORT, e.g. http://proxy.example.com:3128";
  return text("a proxy URL", allowed, (value): ParseResult<string> => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return { ok: false, message: `${JSON.stringify(value)} is not a URL; expected ${allowed}` };
    }
    if (url.protocol !== "http:" || url.username || url.password || url.pathname !== "/") {
      return {
        ok: false,
        message: `${JSON.stringify(value)} is not ${allowed} (credentials go in ` +
          "proxy.credentials_file)",
      };
    }
    return { ok: true, value: `http://${url.host}` };
  });
}

/** `proxy.no_proxy`: servers reached directly, by name (`*.example.com`) or address. */
export function noProxyList(max: number) {
  const allowed = 'a list of host names or addresses, e.g. ["*.corp.example", "192.0.2.7"]';
  const entry = text(
    "a no_proxy entry",
    allowed,
    (value): ParseResult<string> =>
      /^[A-Za-z0-9*.:_-]{1,253}$/.test(value)
        ? { ok: true, value }
        : { ok: false, message: `${JSON.stringify(value)} is not ${allowed}` },
  );
  return z.array(entry, { error: (issue) => refuse(issue.input, "a list", allowed) })
    .max(max, { error: `more than ${max} entries` }).default([]);
}
