/**
 * The facade of native/netlink.c: interfaces, routes and addresses through rtnetlink (done by
 * the netlink agent thread after the privilege drop; src/tun/netlink.ts words the failures for
 * the operator) and the net.* sysctls, read through the shim because Deno refuses /proc without
 * --allow-all.
 *
 * @module
 */
import type { NativeShim } from "./symbols.ts";
import { unwrap } from "./unwrap.ts";

/** Interfaces, routes and addresses (the loaded NativeLibrary, or a fake in unit tests). */
export type NetlinkSymbols = NativeShim<
  | "sss_if_index"
  | "sss_if_name"
  | "sss_route_add"
  | "sss_route_del"
  | "sss_addr_add"
  | "sss_strerror"
>;

/** The part of the shim that reads /proc/sys/net. */
export type SysctlSymbols = NativeShim<"sss_net_sysctl" | "sss_strerror">;

/** Longest sysctl value read: the net.* values this program reads are a few digits. */
const SYSCTL_MAX = 256;

/**
 * The value of sysctl `net.<name>` (name like "ipv4.ip_forward" or "ipv6.conf.all.forwarding";
 * with a "/" in it, the path below /proc/sys/net as is, for interface names with dots), trimmed.
 * Works under the shipped Deno permissions, through the shim, before and after the privilege drop
 * (the files are world-readable).
 * @throws {NativeError} when the file cannot be read, e.g. net.ipv6.* on a host without IPv6.
 */
export function readNetSysctl(lib: SysctlSymbols, name: string): string {
  const buffer = new Uint8Array(SYSCTL_MAX);
  const length = unwrap(
    lib,
    lib.symbols.sss_net_sysctl(
      new TextEncoder().encode((name.includes("/") ? name : name.replaceAll(".", "/")) + "\0"),
      buffer,
      SYSCTL_MAX,
    ),
    `cannot read sysctl net.${name}`,
  );
  return new TextDecoder().decode(buffer.subarray(0, length)).trim();
}
