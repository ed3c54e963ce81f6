/**
 * Routes and addresses on the TUN interface, through the shim's rtnetlink calls
 * (native/netlink.c): no `ip` command runs. Each function throws a NativeError whose message is
 * one line for the operator: what failed, on which interface, and how to fix it.
 *
 * Routes are added to the main table with protocol {@linkcode ROUTE_PROTOCOL}, so that
 * `ip route show proto 83` lists the tunnel's routes and removing one never touches a route that
 * someone else made.
 *
 * @module
 */

import { formatPrefix, type IpPrefix } from "../ip/prefix.ts";
import { type NetlinkSymbols, readNetSysctl, type SysctlSymbols } from "../native/netlink.ts";
import { type Failure, NativeError, unwrap } from "../native/unwrap.ts";

/** rtm_protocol of the tunnel's routes (native/netlink.h SSS_RTPROT). */
export const ROUTE_PROTOCOL = 83;

/** An interface as these calls name it: the kernel's index, and the name for messages. */
export interface Interface {
  readonly name: string;
  readonly index: number;
}

const ERRNO = {
  EPERM: 1,
  ENODEV: 19,
  EACCES: 13,
  EEXIST: 17,
  EINVAL: 22,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
};
/** rtm_type values (linux/rtnetlink.h RTN_*) a conflicting route may have, as `ip route` says. */
const ROUTE_TYPES: Record<number, string> = {
  1: "unicast",
  2: "local",
  3: "broadcast",
  4: "anycast",
  5: "multicast",
  6: "blackhole",
  7: "unreachable",
  8: "prohibit",
  9: "throw",
};
const RTN_UNICAST = 1;
/** The smallest MTU on which Linux runs IPv6 (RFC 8200). */
export const IPV6_MIN_MTU = 1280;

/** The kernel's index of interface `name`. */
export function interfaceIndex(lib: NetlinkSymbols, name: string): number {
  return unwrap(
    lib,
    lib.symbols.sss_if_index(new TextEncoder().encode(name + "\0")),
    `cannot find the index of interface ${name}`,
  );
}

/** The name of interface `index`, or `interface <index>` when it has none any more. */
export function interfaceName(lib: NetlinkSymbols, index: number): string {
  const out = new Uint8Array(16);
  if (lib.symbols.sss_if_name(index, out) < 0) return `interface ${index}`;
  return new TextDecoder().decode(out.subarray(0, Math.max(0, out.indexOf(0))));
}

/** The largest route metric (RTA_PRIORITY is a u32); 0 stands for the kernel's default. */
export const MAX_ROUTE_METRIC = 0xffff_ffff;

function checkMetric(metric: number): number {
  if (!Number.isInteger(metric) || metric < 0 || metric > MAX_ROUTE_METRIC) {
    throw new RangeError(`Route metric must be an integer 0..${MAX_ROUTE_METRIC}: ${metric}`);
  }
  return metric;
}

/**
 * Routes `route` (its host bits are ignored) onto `device`, with `metric` (the kernel's default,
 * 0 for IPv4 and 1024 for IPv6, when 0). Success when that route already goes through `device`
 * with that metric (any metric when 0): a restarted tunnel re-installs its routes. A route
 * through `device` with another metric stays beside the new one (remove it with its metric).
 * Throws when the main table routes the prefix another way, naming how, or when the kernel
 * refuses.
 */
export function addRoute(
  lib: NetlinkSymbols,
  device: Interface,
  route: IpPrefix,
  metric = 0,
): void {
  const conflict = new Int32Array(2);
  const rc = lib.symbols.sss_route_add(
    device.index,
    route.family,
    route.bytes,
    route.length,
    checkMetric(metric),
    conflict,
  );
  unwrap(
    lib,
    rc,
    (failure) => describeRouteAddError(lib, device, route, failure, conflict[0]!, conflict[1]!),
  );
}

/**
 * Removes the tunnel's own route for `route` from `device`, the one with `metric` (the first of
 * any metric when 0); a route that is not there is fine.
 */
export function removeRoute(
  lib: NetlinkSymbols,
  device: Interface,
  route: IpPrefix,
  metric = 0,
): void {
  unwrap(
    lib,
    lib.symbols.sss_route_del(
      device.index,
      route.family,
      route.bytes,
      route.length,
      checkMetric(metric),
    ),
    (failure) =>
      describeFailure(
        `cannot remove route ${formatPrefix(route)} from ${device.name}`,
        device,
        route.family,
        failure,
      ),
  );
}

/**
 * Adds (or replaces) an interface address, e.g. the tunnel's IPv6 address `fd00:5::1/64`. IPv6
 * addresses are usable at once (no duplicate address detection). `mtu` is the interface's: IPv6
 * needs at least {@linkcode IPV6_MIN_MTU}.
 */
export function addAddress(
  lib: NetlinkSymbols,
  device: Interface,
  address: IpPrefix,
  mtu: number,
): void {
  const what = `cannot add IPv${address.family} address ${formatPrefix(address)} to ${device.name}`;
  if (address.family === 6 && mtu < IPV6_MIN_MTU) {
    throw new NativeError(
      `${what}: IPv6 needs an MTU of at least ${IPV6_MIN_MTU} and network.mtu is ${mtu}; ` +
        "raise network.mtu or remove the IPv6 address from `address`",
      ERRNO.EINVAL,
    );
  }
  unwrap(
    lib,
    lib.symbols.sss_addr_add(device.index, address.family, address.bytes, address.length),
    (failure) => describeFailure(what, device, address.family, failure, "address"),
  );
}

function describeRouteAddError(
  lib: NetlinkSymbols,
  device: Interface,
  route: IpPrefix,
  failure: Failure,
  otherIndex: number,
  otherType: number,
): string {
  const text = formatPrefix(route);
  if (failure.errno === ERRNO.EEXIST) {
    const fix = `remove it (ip route del ${text}) or pick another network`;
    if (otherIndex > 0) {
      return `route ${text} already goes through ${interfaceName(lib, otherIndex)}; ${fix}`;
    }
    if (otherType === RTN_UNICAST) {
      return `route ${text} already exists with several next hops; ${fix}`;
    }
    const type = ROUTE_TYPES[otherType];
    const article = type && /^[aeiou]/.test(type) ? "an" : "a";
    return `route ${text} already exists${type ? ` as ${article} ${type} route` : ""}; ${fix}`;
  }
  return describeFailure(
    `cannot add route ${text} to ${device.name}`,
    device,
    route.family,
    failure,
  );
}

/**
 * The message for a failed route or address call: `what`, then why and what to do. `fix` names
 * the configuration key to drop when IPv6 cannot be had.
 */
function describeFailure(
  what: string,
  device: Interface,
  family: 4 | 6,
  { errno, reason }: Failure,
  fix: "address" | "route" = "route",
): string {
  const without = fix === "address"
    ? "remove the IPv6 address from `address`"
    : "leave IPv6 networks out of the configuration";
  if (family === 6 && errno === ERRNO.EACCES) {
    return `${what}: IPv6 is disabled on ${device.name} (net.ipv6.conf.all or .default ` +
      "disable_ipv6 is 1); enable it with sysctl -w net.ipv6.conf.all.disable_ipv6=0 (and keep " +
      `it in /etc/sysctl.d/), or ${without}`;
  }
  if (family === 6 && (errno === ERRNO.EOPNOTSUPP || errno === ERRNO.EAFNOSUPPORT)) {
    return `${what}: IPv6 is disabled on this host (ipv6.disable=1 on the kernel command ` +
      `line); remove that and reboot, or ${without}`;
  }
  if (errno === ERRNO.EPERM || errno === ERRNO.EACCES) {
    return `${what}: ${reason}; changing routes needs CAP_NET_ADMIN: run as root, and after the ` +
      "privilege drop only a tunnel that keeps CAP_NET_ADMIN can";
  }
  if (errno === ERRNO.ENODEV) return `${what}: the interface is gone`;
  return `${what}: ${reason}`;
}

/** Whether the kernel forwards packets between interfaces, by family. */
export interface Forwarding {
  /** net.ipv4.ip_forward is 1. */
  readonly ipv4: boolean;
  /** net.ipv6.conf.all.forwarding is 1; false also on a host without IPv6. */
  readonly ipv6: boolean;
}

/** Reads net.ipv4.ip_forward and net.ipv6.conf.all.forwarding (for a warning when off). */
export function forwarding(lib: SysctlSymbols): Forwarding {
  let ipv6 = false;
  try {
    ipv6 = readNetSysctl(lib, "ipv6.conf.all.forwarding") === "1";
  } catch (error) {
    if (!(error instanceof NativeError)) throw error; // no IPv6 on this host: not forwarding it
  }
  return { ipv4: readNetSysctl(lib, "ipv4.ip_forward") === "1", ipv6 };
}
