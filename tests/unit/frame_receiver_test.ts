import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeFrame, FrameError } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import { encodePing } from "../../src/frame/control.ts";
import { FrameReceiver, NO_DATA_FRAMES, WriteStat } from "../../src/frame/receiver.ts";
import { ipv4Packet, RecordingWriter } from "../lib/recording_writer.ts";
import { concat } from "../lib/bytes.ts";
import { hostPrefix, prefix } from "../../src/ip/prefix.ts";
import { formatAddress } from "../../src/ip/address.ts";
import { ipv4FromWord } from "../../src/ip/ipv4_word.ts";
import { parseAddress } from "../../src/ip/address.ts";
import { compilePacketFilter } from "../../src/ip/packet_filter.ts";

Deno.test("FrameReceiver delivers every packet and control frame in order, however the stream is cut", () => {
  const arbitraryStream = fc.array(
    fc.oneof(
      fc.uint8Array({ minLength: 20, maxLength: 2000 }).map((p) => ({ kind: "data" as const, p })),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((t) => ({ kind: "ping" as const, t })),
    ),
    { maxLength: 30 },
  );
  fc.assert(
    fc.property(
      arbitraryStream,
      fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 50 }),
      (items, cuts) => {
        const writer = new RecordingWriter();
        const controls: bigint[] = [];
        const receiver = new FrameReceiver(writer, (frame) => {
          assert.equal(frame.type, FrameType.Ping);
          controls.push(
            new DataView(frame.payload.buffer, frame.payload.byteOffset).getBigUint64(0),
          );
        });
        const stream = concat(
          items.map((item) =>
            item.kind === "data"
              ? encodeFrame(FrameType.Packet, item.p)
              : encodePing(FrameType.Ping, item.t)
          ),
        );
        let offset = 0;
        for (let i = 0; offset < stream.length; i++) {
          const size = cuts[i % cuts.length]!;
          receiver.push(stream.subarray(offset, offset + size));
          offset += size;
        }
        assert.equal(receiver.pendingBytes, 0);
        assert.deepEqual(
          writer.packets,
          items.filter((i) => i.kind === "data").map((i) => i.p),
        );
        assert.deepEqual(controls, items.filter((i) => i.kind === "ping").map((i) => i.t));
      },
    ),
  );
});

Deno.test("FrameReceiver hands a whole chunk of data frames to the writer in one call", () => {
  const writer = new RecordingWriter();
  const receiver = new FrameReceiver(writer, () => {});
  const frames = Array.from(
    { length: 50 },
    (_, i) => encodeFrame(FrameType.Packet, new Uint8Array(100).fill(i)),
  );
  receiver.push(concat(frames));
  assert.equal(writer.packets.length, 50);
  assert.equal(writer.calls, 1);
});

Deno.test("FrameReceiver drops packets whose source is not the allowed one and counts them", () => {
  const writer = new RecordingWriter();
  const receiver = new FrameReceiver(writer, () => {});
  receiver.filter = compilePacketFilter({ sources: [hostPrefix(ipv4FromWord(0x0a000002))] });
  receiver.push(concat([
    encodeFrame(FrameType.Packet, ipv4Packet(0x0a000002, 0x0a000001, new Uint8Array(4))),
    encodeFrame(FrameType.Packet, ipv4Packet(0x0a000063, 0x0a000001, new Uint8Array(4))),
  ]));
  assert.equal(writer.packets.length, 1);
  assert.equal(receiver.stats[WriteStat.DroppedSpoofed], 1n);
});

/** A header-only IPv6 packet. */
function ipv6Packet(source: string, destination: string): Uint8Array {
  const packet = new Uint8Array(40);
  packet[0] = 0x60;
  packet.set(parseAddress(source)!, 8);
  packet.set(parseAddress(destination)!, 24);
  return packet;
}

Deno.test("FrameReceiver tells onSpoofed the last spoofed source once per writer call", () => {
  const writer = new RecordingWriter();
  const told: string[] = [];
  const receiver = new FrameReceiver(writer, () => {}, {
    onSpoofed: (source) => told.push(formatAddress(source)),
  });
  receiver.filter = compilePacketFilter({
    sources: [hostPrefix(ipv4FromWord(0x0a000002)), prefix("fd00::2/128")],
    denyDestinations: [prefix("10.0.9.0/24")],
  });
  const frame = (packet: Uint8Array) => encodeFrame(FrameType.Packet, packet);
  // One chunk, one writer call up to the Ping, one more after it.
  receiver.push(concat([
    frame(ipv4Packet(0x0a000063, 0x0a000001, new Uint8Array(4))),
    frame(ipv6Packet("fd00::99", "fd00::1")),
    frame(ipv4Packet(0x0a000002, 0x0a000001, new Uint8Array(4))),
    encodePing(FrameType.Ping, 1n),
    frame(ipv4Packet(0x0a000064, 0x0a000001, new Uint8Array(4))),
  ]));
  assert.deepEqual(told, ["fd00::99", "10.0.0.100"]);
  assert.equal(receiver.stats[WriteStat.DroppedSpoofed], 3n);
  // Dropped for other reasons: counted, but nobody is told of a spoofed source.
  receiver.push(concat([
    frame(ipv4Packet(0x0a000002, 0x0a000905, new Uint8Array(4))),
    frame(ipv6Packet("fe80::1", "ff02::2")),
    frame(ipv4Packet(0x0a000002, 0x0a000001, new Uint8Array(4))),
  ]));
  assert.deepEqual(told, ["fd00::99", "10.0.0.100"]);
  assert.equal(receiver.stats[WriteStat.DroppedDestination], 1n);
  assert.equal(receiver.stats[WriteStat.DroppedLinkLocal], 1n);
  assert.equal(writer.packets.length, 2);
});

Deno.test("FrameReceiver throws FrameError on an unknown type even before the frame is complete", () => {
  const receiver = new FrameReceiver(new RecordingWriter(), () => {});
  assert.throws(() => receiver.push(new Uint8Array([0x55, 0, 0, 9, 1])), FrameError);
});

Deno.test("FrameReceiver throws FrameError on an oversized data frame and on GSO frames not negotiated", () => {
  const oversized = new Uint8Array([FrameType.Packet, 0xff, 0xff, 0xff]);
  assert.throws(
    () => new FrameReceiver(new RecordingWriter(), () => {}).push(oversized),
    FrameError,
  );
  const gso = encodeFrame(FrameType.PacketGso, new Uint8Array(40));
  assert.throws(
    () => new FrameReceiver(new RecordingWriter(), () => {}).push(gso),
    /not negotiated/,
  );
});

Deno.test("NO_DATA_FRAMES sends data frames to the control handler", () => {
  const seen: number[] = [];
  const receiver = new FrameReceiver(NO_DATA_FRAMES, (frame) => seen.push(frame.type));
  receiver.push(encodeFrame(FrameType.Packet, new Uint8Array(30)));
  assert.deepEqual(seen, [FrameType.Packet]);
});
