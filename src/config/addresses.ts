/**
 * The tunnel addresses and networks of the configuration file (`address`, `routes`,
 * `push_routes`, `reachable`, a client's `address` in `clients:`): the rules each obeys, in one
 * line per refusal that quotes the value and says what to write instead, and the checks (_check.ts)
 * that parse them, once, into {@linkcode IpPrefix} values. Pure.
 *
 * Rules for common slips: an IPv4 octet with a leading zero (`010.0.0.1`, octal to some tools)
 * is refused with the decimal form to write; an IPv6 zone (`fe80::1%eth0`) is refused, as a
 * tunnel address or network belongs to no one link; an IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`) is refused with the IPv4 address to write; a prefix length outside the
 * family's range and host bits in a network are refused with what was meant.
 *
 * @module
 */

import { INVALID } from "./_check.ts";
import { familyOf, formatAddress, parseAddress, parseIpv4, parseIpv6 } from "../ip/address.ts";
import {
  broadcastOf,
  contains,
  formatPrefix,
  hasHostBits,
  type IpPrefix,
  maxLength,
  networkOf,
  overlaps,
  prefix,
  sameAddress,
} from "../ip/prefix.ts";
import type { ParseResult } from "./endpoint.ts";
import type { Config } from "./types.ts";
import { boundedList, oneOrList, text } from "./_fields.ts";

function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

function fail<T>(message: string): ParseResult<T> {
  return { ok: false, message };
}

const IPV4_MAPPED = prefix("::ffff:0:0/96");

/**
 * Why `addressText`, the address part of the value `text`, is not an address, when it is a
 * common slip with an obvious fix: an IPv6 zone, or IPv4 octets with leading zeros.
 */
function slip(text: string, addressText: string): string | undefined {
  const quoted = JSON.stringify(text);
  const zone = addressText.indexOf("%");
  if (zone >= 0 && parseIpv6(addressText.slice(0, zone)) !== undefined) {
    return `${quoted} has a zone (${
      addressText.slice(zone)
    }), which a tunnel address or network never has; write ${
      text.replace(addressText, addressText.slice(0, zone))
    }`;
  }
  if (/^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$/.test(addressText)) {
    const decimal = addressText.split(".").map((octet) => String(Number(octet))).join(".");
    if (decimal !== addressText && parseIpv4(decimal) !== undefined) {
      return `${quoted} has an octet with a leading zero, which some tools read as octal; ` +
        `write ${text.replace(addressText, decimal)}`;
    }
  }
  return undefined;
}

/**
 * Parses an IPv4 interface address with its prefix length, e.g. `10.0.0.1/24`. The prefix is
 * 1..32; below /31 the address may be neither the network nor the broadcast address of its
 * subnet; loopback, multicast, reserved and "this network" (0.0.0.0/8) addresses are refused.
 */
export function parseInterfaceAddress(text: string): ParseResult<IpPrefix<4>> {
  const quoted = JSON.stringify(text);
  const expected = "expected an IPv4 address with its prefix length, e.g. 10.0.0.1/24";
  const slash = text.indexOf("/");
  if (slash < 0) return fail(`${quoted} has no prefix length; ${expected}`);
  const ip = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const bytes = parseIpv4(ip);
  if (bytes === undefined) {
    return fail(slip(text, ip) ?? `${quoted} does not start with an IPv4 address; ${expected}`);
  }
  const length = /^[0-9]{1,2}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(length >= 1 && length <= 32)) {
    return fail(`${quoted} has prefix length "${prefixText}"; expected a number from 1 to 32`);
  }
  const first = bytes[0]!;
  if (first === 0) return fail(`${quoted} is in 0.0.0.0/8 ("this network"); ${expected}`);
  if (first === 127) return fail(`${quoted} is a loopback address; ${expected}`);
  if (first >= 224 && first <= 239) return fail(`${quoted} is a multicast address; ${expected}`);
  if (first >= 240) return fail(`${quoted} is a reserved address; ${expected}`);
  const address: IpPrefix<4> = { family: 4, bytes, length };
  if (length < 31) {
    const network = networkOf(address);
    const subnet = formatPrefix(network);
    const firstHost = Uint8Array.from(network.bytes);
    firstHost[3] = firstHost[3]! | 1;
    const example = `use a host address such as ${formatAddress(firstHost)}/${length}`;
    if (!hasHostBits(address)) {
      return fail(`${quoted} is the network address of ${subnet}; ${example}`);
    }
    if (sameAddress(bytes, broadcastOf(address))) {
      return fail(`${quoted} is the broadcast address of ${subnet}; ${example}`);
    }
  }
  return ok(address);
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
  { range: IPV4_MAPPED, kind: "IPv4-mapped" },
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
export function parseInterfaceAddress6(text: string): ParseResult<IpPrefix<6>> {
  const quoted = JSON.stringify(text);
  const expected = "expected an IPv6 address with its prefix length, e.g. fd00:5::1/64";
  const slash = text.indexOf("/");
  if (slash < 0) return fail(`${quoted} has no prefix length; ${expected}`);
  const ip = text.slice(0, slash);
  const bytes = parseIpv6(ip);
  if (bytes === undefined) {
    return fail(slip(text, ip) ?? `${quoted} does not start with an IPv6 address; ${expected}`);
  }
  const lengthText = text.slice(slash + 1);
  const length = /^[0-9]{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
  if (!(length >= 1 && length <= 128)) {
    return fail(`${quoted} has prefix length "${lengthText}"; expected a number from 1 to 128`);
  }
  const address: IpPrefix<6> = { family: 6, bytes, length };
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
  const bytes = parseAddress(addressText);
  if (bytes === undefined) {
    return fail(
      slip(text, addressText) ??
        `${quoted} does not start with an IPv4 or IPv6 address; ${expected}`,
    );
  }
  const family = familyOf(bytes);
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
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseAddress(addressText);
  if (bytes === undefined) {
    return fail(
      slip(text, addressText) ??
        `${quoted} is not an IP address; expected a host address such as 10.0.0.11 or fd00:5::11`,
    );
  }
  const family = familyOf(bytes);
  if (family === 6 && contains(IPV4_MAPPED, bytes)) {
    return fail(
      `${quoted} is an IPv4-mapped IPv6 address; write the IPv4 address ${
        formatAddress(bytes.subarray(12))
      } instead`,
    );
  }
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
  return config.address6 ? [config.address, config.address6] : [config.address];
}

/** The tunnel addresses of `address`: the one IPv4 address, and the IPv6 one when given. */
export interface TunnelAddresses {
  readonly v4: IpPrefix<4>;
  readonly v6?: IpPrefix<6>;
}

type TunnelAddress =
  | { readonly family: 4; readonly text: string; readonly address: IpPrefix<4> }
  | { readonly family: 6; readonly text: string; readonly address: IpPrefix<6> };

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
  return oneOrList(element, 2, allowed).then((list, issues): TunnelAddresses | typeof INVALID => {
    let v4: IpPrefix<4> | undefined;
    let v6: IpPrefix<6> | undefined;
    let failed = false;
    for (const [index, entry] of list.entries()) {
      if ((entry.family === 4 ? v4 : v6) !== undefined) {
        failed = true;
        issues.push({
          path: [index],
          message: `${
            JSON.stringify(entry.text)
          } is a second IPv${entry.family} address; the tunnel has one IPv4 address and at most one IPv6 address`,
        });
      } else if (entry.family === 4) v4 = entry.address;
      else v6 = entry.address;
    }
    if (v4 === undefined) {
      const v6Text = list.find((entry) => entry.family === 6)?.text ?? "fd00:5::1/64";
      issues.push({
        path: [],
        message: `${
          list.length === 1
            ? `${JSON.stringify(v6Text)} is an IPv6 address, and the tunnel needs an IPv4 one too`
            : "the list has no IPv4 address, and the tunnel needs one"
        }, e.g. address: [10.0.0.1/24, ${JSON.stringify(v6Text)}]`,
      });
    }
    if (v4 === undefined || failed) return INVALID;
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
  return oneOrList(element, 2, allowed).then((list, issues): IpPrefix[] | typeof INVALID => {
    const [first, second] = list;
    if (first !== undefined && second !== undefined && first.family === second.family) {
      issues.push({
        path: [1],
        message:
          `a second IPv${second.family} address; a client has at most one IPv4 and one IPv6 address`,
      });
      return INVALID;
    }
    return list;
  });
}
