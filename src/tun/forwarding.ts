import { type Forwarding, forwarding } from "./netlink.ts";
import type { SysctlSymbols } from "../native/netlink.ts";

/** This host's forwarding settings through the shim, or undefined when they cannot be read. */
export function readForwarding(lib: SysctlSymbols): Partial<Forwarding> {
  try {
    return forwarding(lib);
  } catch {
    return {};
  }
}

/**
 * The warning for routed networks on a host that does not forward them, or undefined. `routes`
 * says what needs forwarding (e.g. "the networks behind clients"); `ipv6` whether any is IPv6.
 */
export function forwardingProblem(
  forwarding: Partial<Forwarding>,
  what: string,
  families: { readonly ipv4: boolean; readonly ipv6: boolean },
): string | undefined {
  const off: string[] = [];
  if (families.ipv4 && forwarding.ipv4 === false) off.push("net.ipv4.ip_forward=1");
  if (families.ipv6 && forwarding.ipv6 === false) off.push("net.ipv6.conf.all.forwarding=1");
  if (off.length === 0) return undefined;
  return `this host does not forward packets, so ${what} are reachable from this host only, ` +
    `not from its LAN; to route them, run sysctl -w ${off.join(" ")} (and make it permanent ` +
    `in /etc/sysctl.d)`;
}
