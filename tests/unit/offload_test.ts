import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeFrame, readFrameHeader } from "../../src/frame/codec.ts";
import { FRAME_HEADER_SIZE, FrameType } from "../../src/frame/constants.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { OffloadConverter } from "../../src/tun/offload.ts";
import {
  GSO_NONE,
  GSO_TCPV4,
  GSO_TCPV6,
  GSO_UDP,
  GSO_UDP_L4,
  gsoPayload,
  readVnet,
  TCP,
  UDP,
  VNET_HDR_SIZE,
} from "../lib/vnet_frames.ts";

const lib = loadNativeLibrary();

function sum16(bytes: Uint8Array, sum = 0): number {
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  return sum;
}
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}
function pseudo(packet: Uint8Array, v6: boolean, proto: number, length: number): number {
  return (v6 ? sum16(packet.subarray(8, 40)) : sum16(packet.subarray(12, 20))) + proto + length;
}
/** True when the transport checksum of a finished packet verifies. */
function transportChecksumOk(packet: Uint8Array, v6: boolean, proto: number): boolean {
  const l4 = v6 ? 40 : (packet[0]! & 0x0f) * 4;
  return fold(sum16(packet.subarray(l4), pseudo(packet, v6, proto, packet.length - l4))) === 0xffff;
}

interface Built {
  frame: Uint8Array;
  payload: Uint8Array;
}

/**
 * A super-packet as a TUN with offloads hands it over, in a PacketGso frame: its TCP sequence
 * numbers wrap during segmentation, FIN|PSH|ACK by default (only the last segment keeps FIN and
 * PSH), the IPv4 id counts from 0x1234.
 */
function superPacket(
  v6: boolean,
  proto: number,
  payloadLength: number,
  gsoSize: number,
  gsoType: number,
  tcpFlags = 0x19,
): Built {
  const body = gsoPayload({
    v6,
    proto,
    payloadLength,
    gsoSize,
    gsoType,
    ipId: 0x1234,
    tcpSequence: 0xfffff000,
    tcpFlags,
  });
  const payload = body.slice(VNET_HDR_SIZE + readVnet(body).hdrLen);
  return { frame: encodeFrame(FrameType.PacketGso, body), payload };
}

function packetsOf(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const header = readFrameHeader(bytes, offset);
    assert.equal(header.type, FrameType.Packet);
    out.push(
      bytes.subarray(offset + FRAME_HEADER_SIZE, offset + FRAME_HEADER_SIZE + header.length),
    );
    offset += FRAME_HEADER_SIZE + header.length;
  }
  return out;
}

function convert(input: Uint8Array, outputSize = 1 << 20) {
  const converter = new OffloadConverter(lib);
  const output = new Uint8Array(outputSize);
  const result = converter.convert(input, output);
  const { counters } = converter;
  return { ...result, counters, packets: packetsOf(output.subarray(0, result.written)) };
}

for (const v6 of [false, true]) {
  Deno.test(`OffloadConverter.convert() splits a TCP${v6 ? "v6" : "v4"} super-packet into valid segments`, () => {
    const { frame, payload } = superPacket(v6, TCP, 10000, 1448, v6 ? GSO_TCPV6 : GSO_TCPV4);
    const { consumed, packets, counters } = convert(frame);
    assert.equal(consumed, frame.length);
    assert.equal(counters.converted, 1);
    assert.equal(packets.length, Math.ceil(10000 / 1448));
    const l4 = v6 ? 40 : 20;
    const joined: number[] = [];
    packets.forEach((packet, i) => {
      const view = new DataView(packet.buffer, packet.byteOffset, packet.length);
      const last = i === packets.length - 1;
      assert.equal(packet.length, l4 + 32 + (last ? 10000 - 1448 * i : 1448));
      if (v6) {
        assert.equal(view.getUint16(4), packet.length - 40);
      } else {
        assert.equal(view.getUint16(2), packet.length);
        assert.equal(view.getUint16(4), 0x1234 + i, "IP id increments");
        assert.equal(fold(sum16(packet.subarray(0, 20))), 0xffff, "IPv4 header checksum");
      }
      assert.equal(view.getUint32(l4 + 4), (0xfffff000 + 1448 * i) >>> 0, "sequence number");
      assert.equal(view.getUint8(l4 + 13), last ? 0x19 : 0x10, "FIN and PSH only on the last");
      assert.ok(transportChecksumOk(packet, v6, TCP), `TCP checksum of segment ${i}`);
      joined.push(...packet.subarray(l4 + 32));
    });
    assert.deepEqual(Uint8Array.from(joined), payload);
  });
}

Deno.test("OffloadConverter.convert() segments UDP (USO) super-packets with their own lengths and checksums", () => {
  const { frame, payload } = superPacket(false, UDP, 3000, 1200, GSO_UDP_L4);
  const { packets } = convert(frame);
  assert.deepEqual(packets.map((p) => p.length), [1228, 1228, 628]);
  for (const packet of packets) {
    assert.equal(new DataView(packet.buffer, packet.byteOffset).getUint16(24), packet.length - 20);
    assert.ok(transportChecksumOk(packet, false, UDP));
  }
  assert.deepEqual(Uint8Array.from(packets.flatMap((p) => [...p.subarray(28)])), payload);
});

Deno.test("OffloadConverter.convert() completes the checksum of a single packet that needs one", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1400 }), fc.boolean(), (length, v6) => {
      const { frame } = superPacket(v6, UDP, length, 1400, GSO_NONE);
      const { packets } = convert(frame);
      assert.equal(packets.length, 1);
      assert.ok(transportChecksumOk(packets[0]!, v6, UDP));
    }),
    { numRuns: 60 },
  );
});

Deno.test("OffloadConverter.convert() copies plain frames and drops what it cannot convert", () => {
  const plain = encodeFrame(FrameType.Packet, new Uint8Array([0x45, 1, 2, 3]));
  const ufo = superPacket(false, UDP, 3000, 1200, GSO_UDP).frame; // legacy UFO: not supported
  const input = new Uint8Array([...plain, ...ufo, ...plain]);
  const { consumed, written, counters } = convert(input);
  assert.equal(consumed, input.length);
  assert.equal(written, 2 * plain.length);
  assert.equal(counters.dropped, 1);
});

Deno.test("OffloadConverter.convert() stops before a frame whose segments do not fit", () => {
  const { frame } = superPacket(false, TCP, 10000, 1448, GSO_TCPV4);
  const small = convert(frame, 5000);
  assert.deepEqual([small.consumed, small.written], [0, 0]);
  const incomplete = convert(frame.subarray(0, frame.length - 1));
  assert.deepEqual([incomplete.consumed, incomplete.written], [0, 0]);
});
