import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatEndpoint,
  formatInterfaceAddress,
  isDnsName,
  parseEndpoint,
  parseInterfaceAddress,
} from "../../src/config/net.ts";

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
    value: { ip: "10.0.0.1", prefixLength: 24 },
  });
  assert.equal(parseInterfaceAddress("10.0.0.254/24").ok, true);
  assert.equal(parseInterfaceAddress("10.0.0.0/24").ok, false);
  assert.equal(parseInterfaceAddress("10.0.0.255/24").ok, false);
  assert.equal(parseInterfaceAddress("10.0.0.1/31").ok, true);
  assert.equal(parseInterfaceAddress("10.0.0.0/31").ok, true);
  assert.equal(formatInterfaceAddress({ ip: "10.0.0.1", prefixLength: 24 }), "10.0.0.1/24");
});
