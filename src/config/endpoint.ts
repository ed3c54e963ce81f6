/**
 * Syntax of the hosts the configuration file and the command line name: IP addresses, DNS
 * names and endpoints (`host:port`, `[v6]:port`). Tunnel addresses and networks are in
 * addresses.ts. Pure functions; messages quote the bad value and say what is allowed.
 *
 * @module
 */

import { parseIpv4, parseIpv6 } from "../ip/address.ts";
import type { Endpoint } from "./types.ts";
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

/**
 * Whether `text` is an IPv6 address a host may listen on or dial (without brackets): a zone
 * (`fe80::1%eth0`) is allowed, as a link-local address means nothing without one.
 */
function isHostIpv6(text: string): boolean {
  const zone = text.indexOf("%");
  if (zone < 0) return parseIpv6(text) !== undefined;
  return parseIpv6(text.slice(0, zone)) !== undefined &&
    /^%[A-Za-z0-9_.-]{1,15}$/.test(text.slice(zone));
}

/** Whether `text` is an IPv4 or IPv6 address literal (IPv6 without brackets, maybe with a zone). */
export function isIPAddress(text: string): boolean {
  return parseIpv4(text) !== undefined || isHostIpv6(text);
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
    if (!isHostIpv6(host)) {
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
    if (parseIpv4(host) === undefined && !(allowNames && isDnsName(host))) {
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
