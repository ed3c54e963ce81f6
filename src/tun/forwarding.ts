import type { TunLibrary } from "./ffi.ts";

/** Whether this host forwards IPv4 and IPv6 packets between interfaces (undefined: unknown). */
export interface Forwarding {
  readonly ipv4: boolean | undefined;
  readonly ipv6: boolean | undefined;
}

/** Reads net.ipv4.ip_forward and net.ipv6.conf.all.forwarding through the shim. */
export function readForwarding(lib: TunLibrary): Forwarding {
  const read = (family: number) => {
    const rc = lib.symbols.sss_forwarding(family);
    return rc < 0 ? undefined : rc === 1;
  };
  return { ipv4: read(4), ipv6: read(6) };
}

/**
 * The warning for routed networks on a host that does not forward them, or undefined. `routes`
 * says what needs forwarding (e.g. "the networks behind clients"); `ipv6` whether any is IPv6.
 */
export function forwardingProblem(
  forwarding: Forwarding,
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
