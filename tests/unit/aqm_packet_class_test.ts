import assert from "node:assert/strict";
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import {
  frameLength,
  isSparse,
  markCongestion,
  PacketKind,
  packetKind,
} from "../../src/session/packet_class.ts";
import { bulkFrame, ipv4, ipv4Checksum, pingFrame } from "../lib/aqm_packets.ts";

Deno.test("isSparse() takes pings, TCP segments without payload and small packets, not bulk data", () => {
  assert.equal(isSparse(pingFrame(), 0), true);
  assert.equal(isSparse(encodeFrame(FrameType.Packet, ipv4(6, 40)), 0), true, "a pure ACK");
  assert.equal(isSparse(encodeFrame(FrameType.Packet, ipv4(17, 100)), 0), true, "small UDP");
  assert.equal(isSparse(bulkFrame(1), 0), false, "a 1400-byte TCP segment");
  assert.equal(isSparse(encodeFrame(FrameType.Packet, ipv4(17, 1200)), 0), false, "big UDP");
  const gsoPing = new Uint8Array(10 + 84);
  gsoPing.set(ipv4(1, 84), 10);
  assert.equal(isSparse(encodeFrame(FrameType.PacketGso, gsoPing), 0), true, "after a vnet_hdr");
});

Deno.test("markCongestion() sets CE on ECN-capable IPv4 with a checksum that still verifies", () => {
  const frame = bulkFrame(7, 1400, 0b10);
  assert.equal(markCongestion(frame, 0), true);
  const header = frame.subarray(4, 24);
  assert.equal(header[1]! & 0x03, 0x03);
  assert.equal(ipv4Checksum(header), 0, "the header sums to zero with its checksum");
  const plain = bulkFrame(8);
  assert.equal(markCongestion(plain, 0), false, "not ECN-capable: the caller drops it");
  assert.equal(plain[5]! & 0x03, 0);
});

Deno.test("markCongestion() sets CE in an IPv6 traffic class", () => {
  const packet = new Uint8Array(1280);
  packet[0] = 0x60;
  packet[1] = 0x10; // ECT(0) in the low traffic-class bits
  packet[4] = (1240 >> 8) & 0xff;
  packet[5] = 1240 & 0xff;
  packet[6] = 6;
  const frame = encodeFrame(FrameType.Packet, packet);
  assert.equal(markCongestion(frame, 0), true);
  assert.equal((frame[5]! >> 4) & 0x03, 0x03);
  assert.equal(frameLength(frame, 0), frame.length);
});

Deno.test("packetKind() tells a bulk flow's bare TCP segments from sparse packets of their own", () => {
  const frame = (protocol: number, total: number) =>
    encodeFrame(FrameType.Packet, ipv4(protocol, total));
  assert.equal(packetKind(frame(6, 40), 0), PacketKind.BareTcp, "a pure ACK");
  assert.equal(packetKind(frame(6, 100), 0), PacketKind.Sparse, "a keystroke: small TCP data");
  assert.equal(packetKind(pingFrame(), 0), PacketKind.Sparse);
  assert.equal(packetKind(frame(17, 100), 0), PacketKind.Sparse, "DNS-sized UDP");
  assert.equal(packetKind(bulkFrame(1), 0), PacketKind.Bulk);
  const ack6 = new Uint8Array(60);
  ack6[0] = 0x60;
  ack6[5] = 20; // payload length: the TCP header alone
  ack6[6] = 6;
  ack6[40 + 12] = 5 << 4;
  assert.equal(packetKind(encodeFrame(FrameType.Packet, ack6), 0), PacketKind.BareTcp, "IPv6 ACK");
});
