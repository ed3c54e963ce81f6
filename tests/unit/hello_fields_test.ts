/**
 * The Hello's fields as decodeHello() checks them by hand (src/frame/control.ts): each bound, the
 * optional fields, and a newer peer's extra fields left out.
 */
import assert from "node:assert/strict";
import { FrameError } from "../../src/frame/codec.ts";
import { decodeHello, MAX_PUSHED_ROUTES, PROTOCOL_VERSION } from "../../src/frame/control.ts";

const HELLO = {
  protocol: PROTOCOL_VERSION,
  software: "sssonector/0",
  address: "10.0.0.2/24",
  mtu: 1500,
  features: ["gso"],
};

function decode(value: unknown) {
  return decodeHello(new TextEncoder().encode(JSON.stringify(value)));
}

Deno.test("a Hello's known fields are kept, a newer peer's extra fields left out", () => {
  const hello = decode({
    ...HELLO,
    address6: "fd00:5::2/64",
    routes: ["192.168.1.0/24"],
    lane: "0123456789abcdef0123456789abcdef",
    future: { anything: true },
  });
  assert.equal(hello.software, "sssonector/0");
  assert.equal(hello.address6?.text, "fd00:5::2/64");
  assert.deepEqual(hello.routes?.map((route) => route.text), ["192.168.1.0/24"]);
  assert.equal(hello.lane, "0123456789abcdef0123456789abcdef");
  assert.ok(!("future" in hello));
});

Deno.test("each field out of bounds is refused, naming the field", () => {
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ ...HELLO, protocol: 0 }, /^hello is malformed: protocol: /],
    [{ ...HELLO, protocol: 1.5 }, /^hello is malformed: protocol: not a whole number$/],
    [{ ...HELLO, software: "x".repeat(101) }, /^hello is malformed: software: longer than 100/],
    [{ ...HELLO, address: 10 }, /^hello is malformed: address: not a string$/],
    [{ ...HELLO, mtu: 575 }, /^hello is malformed: mtu: not from 576 to 65535$/],
    [{ ...HELLO, mtu: 65536 }, /^hello is malformed: mtu: /],
    [{ ...HELLO, features: "gso" }, /^hello is malformed: features: not a list$/],
    [{ ...HELLO, features: Array(33).fill("x") }, /^hello is malformed: features: more than 32/],
    [{ ...HELLO, features: ["x".repeat(51)] }, /^hello is malformed: features: entry 0: /],
    [{ ...HELLO, address6: null }, /^hello is malformed: address6: not a string$/],
    [
      { ...HELLO, routes: Array(MAX_PUSHED_ROUTES + 1).fill("10.0.0.0/8") },
      /^hello is malformed: routes: more than 64 entries$/,
    ],
    [{ ...HELLO, lane: "ABC" }, /^hello is malformed: lane: not a lane token$/],
    [{ ...HELLO, mtu: undefined }, /^hello is malformed: mtu: missing$/],
  ];
  refused.push([[HELLO] as unknown as Record<string, unknown>, /: value: not a JSON object$/]);
  for (const [value, expected] of refused) {
    assert.throws(() => decode(value), (error: Error) => {
      assert.ok(error instanceof FrameError, String(error));
      assert.match(error.message, expected, JSON.stringify(value).slice(0, 80));
      return true;
    });
  }
});
