import assert from "node:assert/strict";
import fc from "fast-check";
import { formatAddress, parseAddress } from "../../src/ip/address.ts";

Deno.test("parseAddress() reads IPv4 and IPv6 text forms", () => {
  const cases: [string, number[]][] = [
    ["10.0.0.1", [10, 0, 0, 1]],
    ["0.0.0.0", [0, 0, 0, 0]],
    ["255.255.255.255", [255, 255, 255, 255]],
    ["::", new Array(16).fill(0)],
    ["::1", [...new Array(15).fill(0), 1]],
    ["fd00::1", [0xfd, 0, ...new Array(13).fill(0), 1]],
    ["2001:DB8:0:0:1:0:0:1", [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]],
    ["fe80::", [0xfe, 0x80, ...new Array(14).fill(0)]],
    ["::ffff:192.0.2.1", [...new Array(10).fill(0), 0xff, 0xff, 192, 0, 2, 1]],
    ["1:2:3:4:5:6:7::", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]],
  ];
  for (const [text, bytes] of cases) {
    assert.deepEqual(parseAddress(text), new Uint8Array(bytes), text);
  }
});

Deno.test("parseAddress() rejects text that is not an address", () => {
  const bad = [
    "",
    "10.0.0",
    "10.0.0.256",
    "10.0.0.01",
    "10.0.0.1.2",
    " 10.0.0.1",
    "a.b.c.d",
    ":::",
    "1::2::3",
    ":1",
    "1:",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "12345::",
    "[::1]",
    "fe80::1%eth0",
    "1.2.3.4::",
    "::1.2.3",
    "vpn.example.com",
  ];
  for (const text of bad) assert.equal(parseAddress(text), undefined, text);
});

Deno.test("formatAddress() writes RFC 5952 text", () => {
  const cases: [string, string][] = [
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["fe80:0:0:0:0:0:0:0", "fe80::"],
    ["10.1.2.3", "10.1.2.3"],
  ];
  for (const [input, expected] of cases) {
    const bytes = parseAddress(input);
    assert.ok(bytes, input);
    assert.equal(formatAddress(bytes), expected);
  }
});

Deno.test("formatAddress() output parses back to the same octets", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        // Addresses with zero runs exercise the "::" shortening.
        fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff), { minLength: 8, maxLength: 8 }).map((g) =>
          new Uint8Array(g.flatMap((v) => [v >> 8, v & 0xff]))
        ),
      ),
      (bytes) => {
        assert.deepEqual(parseAddress(formatAddress(bytes)), bytes);
      },
    ),
  );
});
