/**
 * Syntax of the network values in the configuration file and on the command line: IPv4
 * addresses, interface addresses (`10.0.0.1/24`), DNS names and endpoints (`host:port`,
 * `[v6]:port`). Pure functions; messages quote the bad value and say what is allowed.
 *
 * @module
 */

import { isIPv4, isIPv6 } from "node:net";
import { formatIpv4, isIpv4, parseIpv4 } from "../ip/ipv4.ts";
import { parseIpAddress } from "../ip/address_bytes.ts";
import {
  formatAddress,
  formatPrefix,
  hasHostBits,
  ipv4Bytes,
  maxLength,
  networkOf,
  overlaps,
  prefix,
} from "../ip/prefix.ts";
import type { IpPrefix } from "../ip/prefix.ts";
import type { Config, Endpoint, InterfaceAddress } from "./types.ts";

/** The parsed value, or a one-line explanation of why the text was refused. */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

function fail<T>(message: string): ParseResult<T> {
  return { ok: false, message };
}

/** Whether `text` is an IPv4 or IPv6 address literal (IPv6 without brackets). */
export function isIPAddress(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Whether `text` is a DNS host name: dot-separated labels of letters, digits and inner
 * hyphens, each 1..63 characters, 253 characters in all, and not made only of digits and dots
 * (those are malformed IPv4 addresses, not names).
 */
export function isDnsName(text: string): boolean {
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  if (/^[0-9.]+$/.test(name)) return false;
  return name.split(".").every((label) => LABEL.test(label));
}

/** Options of {@linkcode parseEndpoint}. */
export interface EndpointOptions {
  /** Accept a DNS name as the host, not only an IP address. @default false */
  readonly allowNames?: boolean;
}

/**
 * Parses `host:port` or `[v6addr]:port`. The port is 1..65535; the host is an IP address, or
 * also a DNS name when `allowNames` is set.
 */
export function parseEndpoint(text: string, options: EndpointOptions = {}): ParseResult<Endpoint> {
  const allowNames = options.allowNames ?? false;
  const quoted = JSON.stringify(text);
  const hostKinds = allowNames ? "an IP address or a DNS name" : "an IP address";
  const example = allowNames ? "vpn.example.com:443" : "0.0.0.0:443";
  const expected = `expected HOST:PORT with ${hostKinds}, e.g. ${example} or [::1]:443`;

  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (bracketed !== null) {
    host = bracketed[1] ?? "";
    portText = bracketed[2] ?? "";
    if (!isIPv6(host)) {
      return fail(`${quoted} has "${host}" in brackets, which is not an IPv6 address; ${expected}`);
    }
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) return fail(`${quoted} has no port; ${expected}`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) {
      return fail(`${quoted} needs brackets around an IPv6 address, e.g. "[${host}]:${portText}"`);
    }
    if (host === "") return fail(`${quoted} has no host; ${expected}`);
    if (!isIPv4(host) && !(allowNames && isDnsName(host))) {
      return fail(`${quoted} has host "${host}", which is not ${hostKinds}; ${expected}`);
    }
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    return fail(`${quoted} has port "${portText}"; expected a port number from 1 to 65535`);
  }
  return ok({ host, port });
}

/** `host:port`, with brackets around an IPv6 host; the inverse of {@linkcode parseEndpoint}. */
export function formatEndpoint(endpoint: Endpoint): string {
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

/**
 * Parses an IPv4 interface address with its prefix length, e.g. `10.0.0.1/24`. The prefix is
 * 1..32; below /31 the address may be neither the network nor the broadcast address of its
 * subnet; loopback, multicast, reserved and "this network" (0.0.0.0/8) addresses are refused.
 */
export function parseInterfaceAddress(text: string): ParseResult<InterfaceAddress> {
  const quoted = JSON.stringify(text);
  const expected = "expected an IPv4 address with its prefix length, e.g. 10.0.0.1/24";
  const slash = text.indexOf("/");
  if (slash < 0) return fail(`${quoted} has no prefix length; ${expected}`);
  const ip = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!isIpv4(ip)) return fail(`${quoted} does not start with an IPv4 address; ${expected}`);
  const value = parseIpv4(ip);
  const prefixLength = /^[0-9]{1,2}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefixLength >= 1 && prefixLength <= 32)) {
    return fail(`${quoted} has prefix length "${prefixText}"; expected a number from 1 to 32`);
  }
  const first = Math.floor(value / 2 ** 24);
  if (first === 0) return fail(`${quoted} is in 0.0.0.0/8 ("this network"); ${expected}`);
  if (first === 127) return fail(`${quoted} is a loopback address; ${expected}`);
  if (first >= 224 && first <= 239) return fail(`${quoted} is a multicast address; ${expected}`);
  if (first >= 240) return fail(`${quoted} is a reserved address; ${expected}`);
  if (prefixLength < 31) {
    const size = 2 ** (32 - prefixLength);
    const network = value - (value % size);
    const subnet = `${formatIpv4(network)}/${prefixLength}`;
    const example = `use a host address such as ${formatIpv4(network + 1)}/${prefixLength}`;
    if (value === network) return fail(`${quoted} is the network address of ${subnet}; ${example}`);
    if (value === network + size - 1) {
      return fail(`${quoted} is the broadcast address of ${subnet}; ${example}`);
    }
  }
  return ok({ ip, prefixLength });
}

/** `ip/prefix`; the inverse of {@linkcode parseInterfaceAddress}. */
export function formatInterfaceAddress(address: InterfaceAddress): string {
  return `${address.ip}/${address.prefixLength}`;
}

/**
 * Address ranges that are never a tunnel address nor a route through a tunnel, with what they
 * are. IPv4 interface addresses have their own checks in {@linkcode parseInterfaceAddress}.
 */
const SPECIAL_RANGES: ReadonlyArray<{ readonly range: IpPrefix; readonly kind: string }> = [
  { range: prefix("0.0.0.0/8"), kind: `"this network"` },
  { range: prefix("127.0.0.0/8"), kind: "loopback" },
  { range: prefix("169.254.0.0/16"), kind: "link-local" },
  { range: prefix("224.0.0.0/4"), kind: "multicast" },
  { range: prefix("240.0.0.0/4"), kind: "reserved" },
  { range: prefix("::/128"), kind: "unspecified" },
  { range: prefix("::1/128"), kind: "loopback" },
  { range: prefix("::ffff:0:0/96"), kind: "IPv4-mapped" },
  { range: prefix("fe80::/10"), kind: "link-local" },
  { range: prefix("ff00::/8"), kind: "multicast" },
];

function specialRange(
  p: IpPrefix,
): { readonly range: IpPrefix; readonly kind: string } | undefined {
  return SPECIAL_RANGES.find((special) => overlaps(special.range, p));
}

/**
 * Parses an IPv6 interface address with its prefix length, e.g. `fd00:5::1/64`. The prefix is
 * 1..128; below /127 the address may not be the network (subnet-router anycast) address of its
 * subnet; unspecified, loopback, IPv4-mapped, link-local and multicast addresses are refused.
 */
export function parseInterfaceAddress6(text: string): ParseResult<IpPrefix> {
  const quoted = JSON.stringify(text);
  const expected = "expected an IPv6 address with its prefix length, e.g. fd00:5::1/64";
  const slash = text.indexOf("/");
  if (slash < 0) return fail(`${quoted} has no prefix length; ${expected}`);
  const bytes = parseIpAddress(text.slice(0, slash));
  if (bytes === undefined || bytes.length !== 16) {
    return fail(`${quoted} does not start with an IPv6 address; ${expected}`);
  }
  const lengthText = text.slice(slash + 1);
  const length = /^[0-9]{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
  if (!(length >= 1 && length <= 128)) {
    return fail(`${quoted} has prefix length "${lengthText}"; expected a number from 1 to 128`);
  }
  const address: IpPrefix = { family: 6, bytes, length };
  const special = specialRange({ family: 6, bytes, length: 128 });
  if (special !== undefined) {
    const article = /^[aeiou]/i.test(special.kind) ? "an" : "a";
    return fail(`${quoted} is ${article} ${special.kind} address; ${expected}`);
  }
  if (length < 127 && !hasHostBits(address)) {
    const subnet = formatPrefix(address);
    const host = Uint8Array.from(bytes);
    host[15] = host[15]! | 1;
    return fail(
      `${quoted} is the network address of ${subnet}; use a host address such as ${
        formatAddress(host)
      }/${length}`,
    );
  }
  return ok(address);
}

/**
 * Parses a network to route, IPv4 or IPv6, e.g. `192.168.10.0/24` or `fd00:1::/64`: the prefix
 * length is required (1..32 or 1..128), host bits must be clear (the message suggests the
 * network meant), and loopback, link-local, multicast and other special ranges are refused.
 */
export function parseNetwork(text: string): ParseResult<IpPrefix> {
  const quoted = JSON.stringify(text);
  const expected = "expected a network with its prefix length, e.g. 192.168.10.0/24 or fd00:1::/64";
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIpAddress(addressText);
  if (bytes === undefined) {
    return fail(`${quoted} does not start with an IPv4 or IPv6 address; ${expected}`);
  }
  const family = bytes.length === 4 ? 4 : 6;
  const max = maxLength(family);
  if (slash < 0) {
    return fail(
      `${quoted} has no prefix length; ${expected} (one host is ${formatAddress(bytes)}/${max})`,
    );
  }
  const lengthText = text.slice(slash + 1);
  const length = /^[0-9]{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
  if (length === 0) {
    return fail(
      `${quoted} is a default route, which SSSonector does not install; list the networks to reach, e.g. ${
        family === 4 ? "192.168.0.0/16" : "fd00:1::/48"
      }`,
    );
  }
  if (!(length >= 1 && length <= max)) {
    return fail(`${quoted} has prefix length "${lengthText}"; expected a number from 1 to ${max}`);
  }
  const network: IpPrefix = { family, bytes, length };
  if (hasHostBits(network)) {
    return fail(
      `${quoted} has host bits set; did you mean ${formatPrefix(networkOf(network))}?`,
    );
  }
  const special = specialRange(network);
  if (special !== undefined) {
    return fail(
      `${quoted} overlaps the ${special.kind} range ${
        formatPrefix(special.range)
      }, which is never routed through a tunnel; route unicast networks, e.g. 192.168.10.0/24`,
    );
  }
  return ok(network);
}

/**
 * Parses one host's address, IPv4 or IPv6, e.g. `10.0.0.11` or `fd00:5::11`, into a /32 or /128
 * prefix; a `/32` or `/128` suffix is accepted, any other prefix length refused.
 */
export function parseHostAddress(text: string): ParseResult<IpPrefix> {
  const quoted = JSON.stringify(text);
  const slash = text.indexOf("/");
  const bytes = parseIpAddress(slash < 0 ? text : text.slice(0, slash));
  if (bytes === undefined) {
    return fail(
      `${quoted} is not an IP address; expected a host address such as 10.0.0.11 or fd00:5::11`,
    );
  }
  const family = bytes.length === 4 ? 4 : 6;
  const max = maxLength(family);
  if (slash >= 0 && text.slice(slash + 1) !== String(max)) {
    return fail(
      `${quoted} has a prefix length; a client's address is one host: write ${
        formatAddress(bytes)
      } (a /${max} suffix is accepted too)`,
    );
  }
  return ok({ family, bytes, length: max });
}

/** The tunnel's own addresses with their prefixes: the IPv4 one first, then the IPv6 one if any. */
export function tunnelPrefixes(config: Pick<Config, "address" | "address6">): IpPrefix[] {
  const v4: IpPrefix = {
    family: 4,
    bytes: ipv4Bytes(parseIpv4(config.address.ip)),
    length: config.address.prefixLength,
  };
  return config.address6 ? [v4, config.address6] : [v4];
}
