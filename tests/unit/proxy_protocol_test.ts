import assert from "node:assert/strict";
import {
  parseProxyHeader,
  parseProxyV2,
  PROXY_V2_SIGNATURE,
} from "../../src/transport/proxy_protocol.ts";

function header(command: number, family: number, body: number[]): Uint8Array {
  return Uint8Array.of(
    ...PROXY_V2_SIGNATURE,
    0x20 | command,
    family,
    body.length >> 8,
    body.length & 0xff,
    ...body,
  );
}

Deno.test("parseProxyV2() reads the client's IPv4 and IPv6 address and port", () => {
  const v4 = header(1, 0x11, [198, 18, 0, 2, 127, 0, 0, 1, 0x9c, 0x40, 0x01, 0xbb]);
  assert.deepEqual(parseProxyV2(v4), { kind: "header", length: 28, source: "198.18.0.2:40000" });
  const v6 = header(1, 0x21, [
    ...[0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 7],
    ...Array(16).fill(0),
    0x01,
    0x00,
    0x01,
    0xbb,
  ]);
  assert.deepEqual(parseProxyV2(v6), { kind: "header", length: 52, source: "[2001:db8::7]:256" });
});

Deno.test("parseProxyV2() waits for more bytes, takes LOCAL and refuses anything else", () => {
  const v4 = header(1, 0x11, [198, 18, 0, 2, 127, 0, 0, 1, 0x9c, 0x40, 0x01, 0xbb]);
  assert.deepEqual(parseProxyV2(v4.subarray(0, 5)), { kind: "incomplete" });
  assert.deepEqual(parseProxyV2(v4.subarray(0, 20)), { kind: "incomplete" });
  assert.deepEqual(parseProxyV2(header(0, 0, [])), {
    kind: "header",
    length: 16,
    source: undefined,
  });
  const tls = Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00);
  assert.deepEqual(parseProxyHeader(tls), { kind: "invalid", reason: "no PROXY protocol header" });
  const huge = header(1, 0x11, Array(2000).fill(0));
  assert.deepEqual(parseProxyV2(huge), { kind: "invalid", reason: "a PROXY header of 2016 bytes" });
});

Deno.test("parseProxyHeader() reads nginx's version 1 line too, and what follows it is left", () => {
  const text = "PROXY TCP4 198.18.0.2 127.0.0.1 40000 443\r\n";
  const line = new TextEncoder().encode(text + "\x16\x03\x01");
  assert.deepEqual(parseProxyHeader(line), {
    kind: "header",
    length: text.length,
    source: "198.18.0.2:40000",
  });
  const v6 = new TextEncoder().encode("PROXY TCP6 2001:db8::7 ::1 40000 443\r\n");
  assert.equal((parseProxyHeader(v6) as { source: string }).source, "[2001:db8::7]:40000");
  assert.deepEqual(parseProxyHeader(new TextEncoder().encode("PROXY TCP4 198.18")), {
    kind: "incomplete",
  });
  assert.equal(
    parseProxyHeader(new TextEncoder().encode("PROXY TCP4 x y z w\r\n")).kind,
    "invalid",
  );
  assert.equal(parseProxyHeader(new TextEncoder().encode("POST / HTTP/1.1\r\n")).kind, "invalid");
});
