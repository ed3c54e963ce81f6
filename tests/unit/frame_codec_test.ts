import assert from "node:assert/strict";
import fc from "fast-check";
import { formatPrefix, prefix } from "../../src/ip/prefix.ts";
import { decodeFrameAt, encodeFrame, FrameError, writeFrameHeader } from "../../src/frame/codec.ts";
import { CONTROL_MAX_PAYLOAD, FRAME_MAX_PAYLOAD, FrameType } from "../../src/frame/constants.ts";
import {
  CloseCode,
  decodeClose,
  decodeHello,
  decodePingToken,
  encodeClose,
  encodeHello,
  encodePing,
  PROTOCOL_VERSION,
} from "../../src/frame/control.ts";

Deno.test("encodeFrame() then decodeFrameAt() returns the payload for any size up to the limit", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (payload) => {
      const frame = decodeFrameAt(encodeFrame(FrameType.Packet, payload), 0);
      assert.ok(frame);
      assert.equal(frame.type, FrameType.Packet);
      assert.deepEqual(frame.payload, payload);
    }),
  );
  const big = new Uint8Array(FRAME_MAX_PAYLOAD);
  assert.equal(
    decodeFrameAt(encodeFrame(FrameType.PacketGso, big), 0)?.payload.length,
    FRAME_MAX_PAYLOAD,
  );
});

Deno.test("decodeFrameAt() returns undefined for every truncation of a frame", () => {
  const bytes = encodeFrame(FrameType.Packet, new Uint8Array([1, 2, 3, 4, 5]));
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.equal(decodeFrameAt(bytes.subarray(0, cut), 0), undefined, `cut at ${cut}`);
  }
});

Deno.test("decodeFrameAt() refuses unknown types and oversized frames", () => {
  const unknown = new Uint8Array([0x7f, 0, 0, 1, 0]);
  assert.throws(() => decodeFrameAt(unknown, 0), FrameError);
  const oversized = new Uint8Array(8);
  new DataView(oversized.buffer).setUint32(0, (FrameType.Packet << 24) | (FRAME_MAX_PAYLOAD + 1));
  assert.throws(() => decodeFrameAt(oversized, 0), /above the limit/);
  const bigControl = new Uint8Array(8);
  new DataView(bigControl.buffer).setUint32(0, (FrameType.Hello << 24) | (CONTROL_MAX_PAYLOAD + 1));
  assert.throws(() => decodeFrameAt(bigControl, 0), /above the limit/);
});

Deno.test("writeFrameHeader() refuses a payload above the limit", () => {
  assert.throws(
    () => writeFrameHeader(new Uint8Array(4), 0, FrameType.Packet, FRAME_MAX_PAYLOAD + 1),
    RangeError,
  );
});

Deno.test("hello round-trips and malformed hellos are FrameErrors", () => {
  const hello = {
    protocol: PROTOCOL_VERSION,
    software: "sssonector/0",
    address: "10.0.0.2/24",
    mtu: 1500,
    features: ["gso"],
  };
  const frame = decodeFrameAt(encodeHello(hello), 0)!;
  assert.deepEqual(decodeHello(frame.payload), {
    ...hello,
    address: { text: "10.0.0.2/24", prefix: prefix("10.0.0.2/24") },
  });
  assert.throws(() => decodeHello(new TextEncoder().encode("{")), /not valid UTF-8 JSON/);
  assert.throws(
    () => decodeHello(new TextEncoder().encode('{"protocol":1}')),
    /hello is malformed/,
  );
  assert.throws(
    () => decodeHello(new TextEncoder().encode(JSON.stringify({ ...hello, mtu: 10 }))),
    /mtu/,
  );
});

Deno.test("decodeHello() parses the stated addresses and routes once, and keeps what is no prefix for the receiver to refuse", () => {
  const stated = (fields: Record<string, unknown>) =>
    decodeHello(
      new TextEncoder().encode(JSON.stringify({
        protocol: PROTOCOL_VERSION,
        software: "sssonector/0",
        mtu: 1500,
        features: [],
        ...fields,
      })),
    );
  const hello = stated({
    address: "10.0.0.2/24",
    address6: "FD00:5::2/64",
    routes: ["192.168.1.0/24", "nonsense", "192.168.3.1"],
  });
  assert.deepEqual(hello.address.prefix, prefix("10.0.0.2/24"));
  assert.deepEqual(hello.address6, { text: "FD00:5::2/64", prefix: prefix("fd00:5::2/64") });
  assert.deepEqual(hello.routes?.map((r) => [r.text, r.prefix && formatPrefix(r.prefix)]), [
    ["192.168.1.0/24", "192.168.1.0/24"],
    ["nonsense", undefined],
    ["192.168.3.1", undefined],
  ]);
  // Not a FrameError: the server refuses such a claim with AddressRejected, naming it.
  for (const address of ["nonsense", "10.0.0.2", "010.0.0.2/24", "fd00::2%eth0/64"]) {
    assert.deepEqual(stated({ address }).address, { text: address, prefix: undefined }, address);
  }
});

Deno.test("ping tokens and close reasons round-trip", () => {
  const ping = decodeFrameAt(encodePing(FrameType.Ping, 123456789n), 0)!;
  assert.equal(decodePingToken(ping.payload), 123456789n);
  assert.throws(() => decodePingToken(new Uint8Array(3)), FrameError);
  const close = decodeFrameAt(
    encodeClose({ code: CloseCode.AddressInUse, message: "in use: ü" }),
    0,
  )!;
  assert.deepEqual(decodeClose(close.payload), {
    code: CloseCode.AddressInUse,
    message: "in use: ü",
  });
  assert.throws(() => decodeClose(new Uint8Array(1)), FrameError);
  assert.throws(() => decodeClose(new Uint8Array([0, 1, 0xff])), /UTF-8/);
});
