/**
 * Run with the shipped Deno permissions (deno.json permissions.default, `-P`) inside a namespace
 * (see tests/e2e/tun_routes_test.ts): reads the forwarding sysctls directly, which Deno refuses,
 * and through the shim, and prints both as one JSON line.
 */
import { loadNativeLibrary } from "../../src/native/library.ts";
import { readNetSysctl } from "../../src/native/netlink.ts";
import { forwarding } from "../../src/tun/netlink.ts";

function attempt(fn: () => unknown): Record<string, unknown> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error: (error as Error).name, message: (error as Error).message };
  }
}

const lib = loadNativeLibrary();
console.log(JSON.stringify({
  direct: attempt(() => Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward")),
  shim: forwarding(lib),
  outside: attempt(() => readNetSysctl(lib, "../../../etc/passwd")),
}));
lib.close();
