import assert from "node:assert/strict";
import { prefix } from "../../src/ip/prefix.ts";
import { addAddress, addRoute, interfaceIndex, removeRoute } from "../../src/tun/netlink.ts";
import { NativeError } from "../../src/native/unwrap.ts";
import type { NetlinkSymbols } from "../../src/native/netlink.ts";
import { thrown } from "../lib/thrown.ts";

const TEXTS = new Map(
  [
    [1, "Operation not permitted"],
    [13, "Permission denied"],
    [17, "File exists"],
    [19, "No such device"],
    [95, "Operation not supported"],
    [110, "Connection timed out"],
  ].map(([errno, text]) => [errno as number, new TextEncoder().encode(`${text}\0`)]),
);

interface Call {
  readonly fn: string;
  readonly args: unknown[];
}

/**
 * A shim whose route and address calls return `rc` and, for a route add, report `conflict`
 * (the other interface's index and the route's type). Interface 7 is eth1.
 */
function fakeShim(rc = 0, conflict: [number, number] = [0, 0]) {
  const calls: Call[] = [];
  const lib: NetlinkSymbols = {
    symbols: {
      sss_if_index(name) {
        const text = new TextDecoder().decode(name as Uint8Array);
        calls.push({ fn: "index", args: [text] });
        return text === "tun0\0" ? 5 : -19;
      },
      sss_if_name(index, out) {
        if (index !== 7) return -19;
        (out as Uint8Array).set(new TextEncoder().encode("eth1\0"));
        return 0;
      },
      sss_route_add(index, family, address, length, metric, out) {
        calls.push({
          fn: "add",
          args: [index, family, [...(address as Uint8Array)], length, metric],
        });
        (out as Int32Array).set(conflict);
        return rc;
      },
      sss_route_del(index, family, address, length, metric) {
        calls.push({
          fn: "del",
          args: [index, family, [...(address as Uint8Array)], length, metric],
        });
        return rc;
      },
      sss_addr_add(index, family, address, length) {
        calls.push({ fn: "addr", args: [index, family, [...(address as Uint8Array)], length] });
        return rc;
      },
      sss_strerror(err) {
        const text = TEXTS.get(Math.abs(err));
        return text ? Deno.UnsafePointer.of(text) : null;
      },
    },
  };
  return { lib, calls };
}

const tun0 = { name: "tun0", index: 5 };

const nativeError = (fn: () => unknown) => thrown(NativeError, fn);

Deno.test("addRoute() and removeRoute() pass interface, family, bytes, length and metric to the shim", () => {
  const { lib, calls } = fakeShim();
  addRoute(lib, tun0, prefix("192.168.10.0/24"));
  removeRoute(lib, tun0, prefix("fd00:1::/48"));
  addRoute(lib, tun0, prefix("10.1.0.0/16"), 4_000_000_000);
  removeRoute(lib, tun0, prefix("10.1.0.0/16"), 7);
  addAddress(lib, tun0, prefix("fd00:5::1/64"), 1400);
  assert.deepEqual(calls, [
    { fn: "add", args: [5, 4, [192, 168, 10, 0], 24, 0] },
    { fn: "del", args: [5, 6, [0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 48, 0] },
    { fn: "add", args: [5, 4, [10, 1, 0, 0], 16, 4_000_000_000] },
    { fn: "del", args: [5, 4, [10, 1, 0, 0], 16, 7] },
    { fn: "addr", args: [5, 6, [0xfd, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 64] },
  ]);
});

Deno.test("addRoute() names where a conflicting route goes, and what to do", () => {
  const cases: Array<[[number, number], string]> = [
    [[7, 1], "route 192.168.10.0/24 already goes through eth1"],
    [[9, 1], "route 192.168.10.0/24 already goes through interface 9"],
    [[0, 1], "route 192.168.10.0/24 already exists with several next hops"],
    [[0, 6], "route 192.168.10.0/24 already exists as a blackhole route"],
    [[0, 7], "route 192.168.10.0/24 already exists as an unreachable route"],
    [[0, 42], "route 192.168.10.0/24 already exists"],
  ];
  for (const [conflict, says] of cases) {
    const error = nativeError(() =>
      addRoute(fakeShim(-17, conflict).lib, tun0, prefix("192.168.10.0/24"))
    );
    assert.equal(
      error.message,
      `${says}; remove it (ip route del 192.168.10.0/24) or pick another network`,
    );
    assert.equal(error.errno, 17);
  }
});

Deno.test("route and address failures say what to do: no CAP_NET_ADMIN, IPv6 off, device gone", () => {
  const v4 = prefix("10.1.0.0/16"), v6 = prefix("fd00:1::/48");
  assert.equal(
    nativeError(() => addRoute(fakeShim(-1).lib, tun0, v4)).message,
    "cannot add route 10.1.0.0/16 to tun0: operation not permitted; changing routes needs " +
      "CAP_NET_ADMIN: run as root, and after the privilege drop only a tunnel that keeps " +
      "CAP_NET_ADMIN can",
  );
  assert.match(
    nativeError(() => removeRoute(fakeShim(-1).lib, tun0, v4)).message,
    /^cannot remove route 10\.1\.0\.0\/16 from tun0: operation not permitted; changing routes needs CAP_NET_ADMIN/,
  );
  assert.equal(
    nativeError(() => addRoute(fakeShim(-13).lib, tun0, v6)).message,
    "cannot add route fd00:1::/48 to tun0: IPv6 is disabled on tun0 (net.ipv6.conf.all or " +
      ".default disable_ipv6 is 1); enable it with sysctl -w net.ipv6.conf.all.disable_ipv6=0 " +
      "(and keep it in /etc/sysctl.d/), or leave IPv6 networks out of the configuration",
  );
  // ipv6.disable=1: the kernel has no IPv6 rtnetlink handlers at all.
  assert.equal(
    nativeError(() => addAddress(fakeShim(-95).lib, tun0, prefix("fd00:5::1/64"), 1500)).message,
    "cannot add IPv6 address fd00:5::1/64 to tun0: IPv6 is disabled on this host (ipv6.disable=1 " +
      "on the kernel command line); remove that and reboot, or remove the IPv6 address from " +
      "`address`",
  );
  assert.equal(
    nativeError(() => addRoute(fakeShim(-19).lib, tun0, v4)).message,
    "cannot add route 10.1.0.0/16 to tun0: the interface is gone",
  );
  assert.equal(
    nativeError(() => addRoute(fakeShim(-110).lib, tun0, v4)).message,
    "cannot add route 10.1.0.0/16 to tun0: connection timed out",
  );
});

Deno.test("addAddress() refuses IPv6 below an MTU of 1280 without asking the kernel", () => {
  const { lib, calls } = fakeShim();
  const error = nativeError(() => addAddress(lib, tun0, prefix("fd00:5::1/64"), 1279));
  assert.equal(
    error.message,
    "cannot add IPv6 address fd00:5::1/64 to tun0: IPv6 needs an MTU of at least 1280 and " +
      "network.mtu is 1279; raise network.mtu or remove the IPv6 address from `address`",
  );
  assert.deepEqual(calls, []);
  addAddress(lib, tun0, prefix("10.0.0.1/24"), 576); // IPv4 has no such limit
  assert.equal(calls.length, 1);
});

Deno.test("interfaceIndex() returns the index, or says which interface is missing", () => {
  const { lib } = fakeShim();
  assert.equal(interfaceIndex(lib, "tun0"), 5);
  assert.equal(
    nativeError(() => interfaceIndex(lib, "tun9")).message,
    "cannot find the index of interface tun9: no such device",
  );
});

Deno.test("addRoute() and removeRoute() refuse a metric outside 0..2^32-1 before the shim", () => {
  const { lib, calls } = fakeShim();
  for (const metric of [-1, 1.5, 2 ** 32]) {
    assert.throws(() => addRoute(lib, tun0, prefix("10.1.0.0/16"), metric), RangeError);
    assert.throws(() => removeRoute(lib, tun0, prefix("10.1.0.0/16"), metric), RangeError);
  }
  assert.deepEqual(calls, []);
});
