/**
 * Builders for the peers the configuration file names: the server's client registry
 * (`clients:`), a client's servers (`server:`) and the HTTP proxy it reaches them through, on
 * top of the general builders of _fields.ts and the addresses of addresses.ts (same one-line
 * messages).
 *
 * @module
 */

import { INVALID, kind, List, Mapping } from "./_check.ts";
import { formatEndpoint } from "./endpoint.ts";
import type { ParseResult } from "./endpoint.ts";
import { hostAddresses, networkList } from "./addresses.ts";
import type { Endpoint } from "./types.ts";
import { endpoint, flag, isString, oneOrList, refuse, text } from "./_fields.ts";

/** The longest common name a certificate may have (X.520 ub-common-name). */
const MAX_NAME_CHARACTERS = 64;

/** A certificate's common name, as `clients:` entries name their client: 1 to 64 characters. */
export function clientName() {
  const allowed =
    `the certificate's common name, 1 to ${MAX_NAME_CHARACTERS} characters, e.g. web1`;
  return kind(
    isString,
    (value) =>
      typeof value === "number"
        ? `${value} is a number, not a name; quote a name made of digits, e.g. name: "1001"`
        : refuse(value, "a name", allowed),
  ).then((value, issues): string | typeof INVALID => {
    const refuseWith = (problem: string): typeof INVALID => {
      issues.push({ path: [], message: `${JSON.stringify(value)} ${problem}` });
      return INVALID;
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
  const entry = new Mapping({
    name: clientName(),
    allow: flag().default(true),
    address: hostAddresses().default([]),
    routes: networkList(maxRoutes),
  }, (value) => refuse(value, "a client entry", entryKeys));
  const allowed = `a list of clients, each ${entryKeys}`;
  return new List(
    entry,
    (value) =>
      value === null
        ? `no value given; list the clients (- name: web1), or remove clients: to accept every certificate the CA signed`
        : refuse(value, "a list", allowed),
    {
      min: {
        count: 1,
        message: "an empty list; list the clients (- name: web1), " +
          "or remove clients: to accept every certificate the CA signed",
      },
      max: {
        count: maxClients,
        message: (length) => `${length} clients are too many; at most ${maxClients} are allowed`,
      },
    },
  );
}

/**
 * A client's `server`: one `HOST:PORT` or a list of 1 to `max` of them, without duplicates
 * (host names compared ignoring case).
 */
export function serverList(max: number) {
  const allowed = `HOST:PORT, e.g. vpn.example.com:443, or a list of them to try in turn, ` +
    `e.g. [vpn1.example.com:443, "[2001:db8::1]:443"]`;
  return oneOrList(endpoint(true), max, allowed).then(
    (list, issues): Endpoint[] | typeof INVALID => {
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
        issues.push({
          path: [index],
          message: `${
            JSON.stringify(formatEndpoint(server))
          } is already server[${first}]; list each server once`,
        });
      }
      return failed ? INVALID : list;
    },
  );
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
  return new List(entry, (value) => refuse(value, "a list", allowed), {
    max: { count: max, message: () => `more than ${max} entries` },
  }).default([]);
}
