import assert from "node:assert/strict";
import fc from "fast-check";
import { formatEndpoint, isDnsName, parseEndpoint } from "../../src/config/endpoint.ts";
import {
  parseHostAddress,
  parseInterfaceAddress,
  parseInterfaceAddress6,
  parseNetwork,
  tunnelPrefixes,
} from "../../src/config/addresses.ts";
import { formatPrefix, ipv4Prefix, ipv6Prefix, networkOf, prefix } from "../../src/ip/prefix.ts";

Deno.test("isDnsName() accepts host names and refuses malformed ones", () => {
  for (const name of ["vpn", "vpn.example.com", "a-b.c0", "example.com."]) {
    assert.ok(isDnsName(name), name);
  }
  for (
    const name of ["", "-a.com", "a-.com", "a..b", "a_b.com", "1.2.3.999", `${"a".repeat(64)}.com`]
  ) {
    assert.ok(!isDnsName(name), name);
  }
});

Deno.test("parseEndpoint() reads host:port and [v6]:port, DNS names only when allowed", () => {
  assert.deepEqual(parseEndpoint("0.0.0.0:443"), {
    ok: true,
    value: { host: "0.0.0.0", port: 443 },
  });
  assert.deepEqual(parseEndpoint("[::]:443"), { ok: true, value: { host: "::", port: 443 } });
  // A zone names the link of a link-local server or listening address.
  assert.deepEqual(parseEndpoint("[fe80::1%eth0]:443"), {
    ok: true,
    value: { host: "fe80::1%eth0", port: 443 },
  });
  assert.equal(parseEndpoint("[fe80::1%]:443").ok, false);
  assert.equal(parseEndpoint("010.0.0.1:443").ok, false);
  assert.equal(parseEndpoint("vpn.example.com:443").ok, false);
  assert.deepEqual(parseEndpoint("vpn.example.com:443", { allowNames: true }), {
    ok: true,
    value: { host: "vpn.example.com", port: 443 },
  });
});

Deno.test("formatEndpoint() output parses back to the same endpoint", () => {
  const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain().filter(isDnsName));
  fc.assert(fc.property(host, fc.integer({ min: 1, max: 65535 }), (h, port) => {
    const parsed = parseEndpoint(formatEndpoint({ host: h, port }), { allowNames: true });
    assert.deepEqual(parsed, { ok: true, value: { host: h, port } });
  }));
});

Deno.test("parseInterfaceAddress() accepts exactly the host addresses of a subnet", () => {
  assert.deepEqual(parseInterfaceAddress("10.0.0.1/24"), {
    ok: true,
    value: ipv4Prefix("10.0.0.1/24"),
  });
  assert.equal(parseInterfaceAddress("10.0.0.254/24").ok, true);
  assert.equal(parseInterfaceAddress("10.0.0.0/24").ok, false);
  assert.equal(parseInterfaceAddress("10.0.0.255/24").ok, false);
  assert.equal(parseInterfaceAddress("10.0.0.1/31").ok, true);
  assert.equal(parseInterfaceAddress("10.0.0.0/31").ok, true);
  assert.equal(formatPrefix(ipv4Prefix("10.0.0.1/24")), "10.0.0.1/24");
});

Deno.test("parseInterfaceAddress6() accepts host addresses of a subnet with a prefix length", () => {
  assert.deepEqual(parseInterfaceAddress6("fd00:5::1/64"), {
    ok: true,
    value: prefix("fd00:5::1/64"),
  });
  assert.deepEqual(parseInterfaceAddress6("FD00:5::A/64"), {
    ok: true,
    value: prefix("fd00:5::a/64"),
  });
  assert.equal(parseInterfaceAddress6("fd00:5::/127").ok, true);
  for (const text of ["fd00:5::/64", "fd00:5::1", "10.0.0.1/24", "fd00:5::1/129", "ff02::1/64"]) {
    assert.equal(parseInterfaceAddress6(text).ok, false, text);
  }
});

Deno.test("parseNetwork() takes networks of both families with host bits clear", () => {
  assert.deepEqual(parseNetwork("192.168.10.0/24"), { ok: true, value: prefix("192.168.10.0/24") });
  assert.deepEqual(parseNetwork("fd00:1::/64"), { ok: true, value: prefix("fd00:1::/64") });
  assert.equal(parseNetwork("192.0.2.7/32").ok, true);
  assert.deepEqual(parseNetwork("fd00:1::1/64"), {
    ok: false,
    message: '"fd00:1::1/64" has host bits set; did you mean fd00:1::/64?',
  });
  for (const text of ["192.168.10.0", "192.168.10.0/33", "::/0", "224.0.0.0/24", "nope/8"]) {
    assert.equal(parseNetwork(text).ok, false, text);
  }
  // The network a host-bits message suggests is never refused for its form, only (at most)
  // for lying in a special range.
  fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.nat(128), (ip, n) => {
    const given = prefix(ip);
    const suggested = formatPrefix(networkOf({ ...given, length: 1 + n % given.length }));
    const result = parseNetwork(suggested);
    if (!result.ok) assert.match(result.message, /overlaps the .* range /, suggested);
  }));
});

Deno.test("parseHostAddress() takes one address, with /32 or /128 at most", () => {
  assert.deepEqual(parseHostAddress("10.0.0.11"), { ok: true, value: prefix("10.0.0.11/32") });
  assert.deepEqual(parseHostAddress("fd00:5::11/128"), {
    ok: true,
    value: prefix("fd00:5::11/128"),
  });
  assert.equal(parseHostAddress("10.0.0.11/31").ok, false);
  assert.equal(parseHostAddress("fd00:5::11/64").ok, false);
  assert.equal(parseHostAddress("web1").ok, false);
});

Deno.test("tunnelPrefixes() gives the IPv4 tunnel address with its prefix, then the IPv6 one", () => {
  const v6 = ipv6Prefix("fd00:5::1/64");
  assert.deepEqual(
    tunnelPrefixes({ address: ipv4Prefix("10.0.0.1/24"), address6: v6 }).map(
      formatPrefix,
    ),
    ["10.0.0.1/24", "fd00:5::1/64"],
  );
  assert.deepEqual(
    tunnelPrefixes({ address: ipv4Prefix("10.0.0.1/24") }).map(formatPrefix),
    ["10.0.0.1/24"],
  );
});
