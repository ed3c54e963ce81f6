/**
 * `network.congestion_control`: which congestion control the carrier TCP connections use. By
 * default bbr where the kernel has it (it keeps the bottleneck's queue short and is not fooled by
 * random loss), else the system's default; one info line at start says which, and why.
 */
import { readNetSysctl, type SysctlSymbols } from "../native/netlink.ts";
import type { TcpSocketSymbols } from "../native/tcp_socket.ts";

/** What the kernel offers, from /proc/sys/net/ipv4/tcp_*congestion_control. */
export interface KernelCongestion {
  /** tcp_available_congestion_control: loaded algorithms. */
  readonly available: readonly string[];
  /** tcp_allowed_congestion_control: what a process without CAP_NET_ADMIN may choose. */
  readonly allowed: readonly string[];
  /** tcp_congestion_control: the system's default. */
  readonly system: string;
}

export interface CongestionChoice {
  /** The algorithm to set on every carrier socket; undefined: leave the system's. */
  readonly name: string | undefined;
  /** The line to log at start. */
  readonly line: string;
  readonly level: "info" | "warning";
}

const PREFERRED = "bbr";

/** Decides from the configured value and what the kernel offers. Pure. */
export function chooseCongestionControl(
  configured: string | undefined,
  kernel: KernelCongestion,
): CongestionChoice {
  // After the privilege drop only `allowed` can be set (root could set any `available` one).
  const usable = (name: string) => kernel.available.includes(name) && kernel.allowed.includes(name);
  const system = kernel.system || "the kernel's default";
  if (configured === "system") {
    return {
      name: undefined,
      line: `carrier congestion control: ${system} (the system's default, as configured)`,
      level: "info",
    };
  }
  if (configured !== undefined) {
    if (usable(configured)) {
      return {
        name: configured,
        line: `carrier congestion control: ${configured} (network.congestion_control)`,
        level: "info",
      };
    }
    const why = kernel.available.includes(configured)
      ? `not in net.ipv4.tcp_allowed_congestion_control (${kernel.allowed.join(" ")})`
      : `not available in this kernel (${kernel.available.join(" ")}; modprobe tcp_${configured})`;
    return {
      name: undefined,
      line: `network.congestion_control: "${configured}" is ${why}; the carrier uses ` +
        `the system's ${system}`,
      level: "warning",
    };
  }
  if (usable(PREFERRED)) {
    return {
      name: PREFERRED,
      line: `carrier congestion control: ${PREFERRED} (the default where the kernel has it; ` +
        "network.congestion_control changes it)",
      level: "info",
    };
  }
  return {
    name: undefined,
    line: `carrier congestion control: ${system} (the system's; bbr is not ` +
      (kernel.available.includes(PREFERRED)
        ? "in net.ipv4.tcp_allowed_congestion_control)"
        : "available: modprobe tcp_bbr)"),
    level: "info",
  };
}

/** Reads the three sysctls; lists empty when they cannot be read. */
export function kernelCongestion(lib: SysctlSymbols): KernelCongestion {
  const read = (name: string) => {
    try {
      return readNetSysctl(lib, name);
    } catch {
      return "";
    }
  };
  const list = (name: string) => read(name).split(/\s+/).filter(Boolean);
  return {
    available: list("ipv4.tcp_available_congestion_control"),
    allowed: list("ipv4.tcp_allowed_congestion_control"),
    system: read("ipv4.tcp_congestion_control"),
  };
}

/** What sessions need to tune their carrier: the shim and the algorithm chosen. */
export interface CarrierPolicy {
  readonly lib: TcpSocketSymbols;
  readonly congestionControl: string | undefined;
}

/**
 * The carrier policy of a server or client: chooses the congestion control and logs the choice
 * once. `log` gets the choice's level and line.
 */
export function carrierPolicy(
  lib: TcpSocketSymbols & SysctlSymbols,
  configured: string | undefined,
  log: (level: "info" | "warning", line: string) => void,
): CarrierPolicy {
  const choice = chooseCongestionControl(configured, kernelCongestion(lib));
  log(choice.level, choice.line);
  return { lib, congestionControl: choice.name };
}
