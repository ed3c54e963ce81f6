/**
 * Malformed frames at every offset of the framing (issue 23): a valid stream (Hello, Packets of
 * several sizes, Ping, Close) with one byte overwritten at each offset in turn, by each of a few
 * values, and delivered cut at that offset: the receiver throws nothing but FrameError, returns at
 * once (no stall: push is synchronous and bounded), and never holds more than one frame.
 */
import assert from "node:assert/strict";
import { encodeFrame, FrameError } from "../../src/frame/codec.ts";
import { FRAME_HEADER_SIZE, FRAME_MAX_PAYLOAD, FrameType } from "../../src/frame/constants.ts";
import {
  decodeClose,
  decodeHello,
  decodePingToken,
  encodeHello,
  encodePing,
  PROTOCOL_VERSION,
} from "../../src/frame/control.ts";
import { FrameReceiver } from "../../src/frame/receiver.ts";
import { concat } from "../lib/bytes.ts";
import { echoRequest } from "../lib/icmp.ts";
import { RecordingWriter } from "../lib/recording_writer.ts";

const stream = concat([
  encodeHello({
    protocol: PROTOCOL_VERSION,
    software: "offsets",
    address: "10.0.0.2/24",
    mtu: 1500,
    features: ["gso"],
  }),
  encodeFrame(FrameType.Packet, echoRequest("10.0.0.2", "10.0.0.1", 1, new Uint8Array(40))),
  encodePing(FrameType.Ping, 7n),
  encodeFrame(FrameType.Packet, echoRequest("10.0.0.2", "10.0.0.1", 2, new Uint8Array(1400))),
  encodeFrame(FrameType.Close, new TextEncoder().encode('{"code":1,"reason":"bye"}')),
]);

Deno.test("frames with a byte overwritten at every offset, cut there, throw only FrameError and hold at most one frame", () => {
  let errors = 0, clean = 0;
  for (let offset = 0; offset < stream.length; offset++) {
    for (const value of [0x00, 0xff, stream[offset]! ^ 0x80, 0x02, 0x10]) {
      const bytes = stream.slice();
      bytes[offset] = value;
      const receiver = new FrameReceiver(new RecordingWriter(), (frame) => {
        if (frame.type === FrameType.Hello) decodeHello(frame.payload);
        else if (frame.type === FrameType.Close) decodeClose(frame.payload);
        else decodePingToken(frame.payload);
      });
      const started = performance.now();
      try {
        receiver.push(bytes.subarray(0, offset));
        assert.ok(receiver.pendingBytes <= FRAME_HEADER_SIZE + FRAME_MAX_PAYLOAD);
        receiver.push(bytes.subarray(offset));
        assert.ok(receiver.pendingBytes <= FRAME_HEADER_SIZE + FRAME_MAX_PAYLOAD);
        clean++;
      } catch (error) {
        if (!(error instanceof FrameError)) {
          throw new Error(`offset ${offset} value ${value}: ${error}`);
        }
        errors++;
      }
      assert.ok(performance.now() - started < 1000, `offset ${offset} took long`);
    }
  }
  assert.ok(errors > 0 && clean > 0, `${errors} refused, ${clean} taken`);
});
