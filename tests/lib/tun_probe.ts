/**
 * Runs inside a throwaway network namespace (see tests/e2e/tun_device_test.ts): drives the real
 * TUN shim and prints what happened as JSON on stdout.
 */
import { encodeFrame, readFrameHeader } from "../../src/frame/codec.ts";
import { FRAME_HEADER_SIZE, FrameType } from "../../src/frame/constants.ts";
import { encodePing } from "../../src/frame/control.ts";
import { WRITE_STAT_COUNT, WriteStat } from "../../src/frame/receiver.ts";
import { hostPrefix, ipv4Prefix, prefix } from "../../src/ip/prefix.ts";
import { TunDevice } from "../../src/tun/device.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { ANY_SOURCE, compilePacketFilter } from "../../src/ip/packet_filter.ts";
import { concat } from "./bytes.ts";
import { echoRequest } from "./icmp.ts";

/** Reads frames until `want` IPv4 echo replies arrived or the deadline passed. */
async function readReplies(device: TunDevice, want: number, ms = 2000) {
  const buffer = new Uint8Array(262144);
  const index = new Uint32Array(4096);
  const replies: Array<{ type: number; destination: number; id: number; length: number }> = [];
  const deadline = Date.now() + ms;
  while (replies.length < want && Date.now() < deadline) {
    const batch = await device.readFrames(buffer, index, 200);
    for (let i = 0; i < batch.count; i++) {
      const offset = index[2 * i]!;
      const header = readFrameHeader(buffer, offset);
      const vnet = header.type === FrameType.PacketGso ? 10 : 0;
      const packet = buffer.subarray(
        offset + FRAME_HEADER_SIZE + vnet,
        offset + FRAME_HEADER_SIZE + header.length,
      );
      if (packet[0]! >> 4 !== 4 || packet[9] !== 1 || packet[20] !== 0) continue; // IPv4 echo replies only
      replies.push({
        type: header.type,
        destination: index[2 * i + 1]!,
        id: new DataView(packet.buffer, packet.byteOffset).getUint16(24),
        length: packet.length,
      });
    }
  }
  return replies;
}

const offload = Deno.args[0] === "offload";
const device = TunDevice.open({
  name: "probe0",
  address: ipv4Prefix("10.99.0.1/24"),
  mtu: 1400,
  offload,
}, loadNativeLibrary());
const stats = new BigUint64Array(WRITE_STAT_COUNT);
const result: Record<string, unknown> = { offload: device.offload, name: device.name };

// 1. Three echo requests in one chunk, the middle one from a spoofed source, then a Ping frame.
const chunk = concat([
  encodeFrame(FrameType.Packet, echoRequest("10.99.0.2", "10.99.0.1", 1, new Uint8Array(100))),
  encodeFrame(FrameType.Packet, echoRequest("10.99.0.3", "10.99.0.1", 2, new Uint8Array(100))),
  encodeFrame(FrameType.Packet, echoRequest("10.99.0.2", "10.99.0.1", 3, new Uint8Array(1000))),
  encodePing(FrameType.Ping, 7n),
]);
const consumed = device.writeFrames(
  chunk,
  compilePacketFilter({ sources: [hostPrefix(prefix("10.99.0.2").bytes)] }),
  stats,
);
result.first = {
  consumed,
  controlOffset: chunk.length - 12,
  status: Number(stats[WriteStat.Status]),
  packets: Number(stats[WriteStat.Packets]),
  spoofed: Number(stats[WriteStat.DroppedSpoofed]),
  replies: await readReplies(device, 2),
};

// 2. A frame cut in half: nothing is consumed until the rest arrives.
const whole = encodeFrame(
  FrameType.Packet,
  echoRequest("10.99.0.2", "10.99.0.1", 4, new Uint8Array(50)),
);
stats.fill(0n);
const half = device.writeFrames(whole.subarray(0, 30), ANY_SOURCE, stats);
const halfStatus = Number(stats[WriteStat.Status]);
const rest = device.writeFrames(whole, ANY_SOURCE, stats);
result.split = { half, halfStatus, rest, replies: await readReplies(device, 1) };

// 3. An oversized data frame is refused without consuming it.
const oversized = new Uint8Array(8);
new DataView(oversized.buffer).setUint32(0, (FrameType.Packet << 24) | 0xffffff);
stats.fill(0n);
result.oversized = {
  consumed: device.writeFrames(oversized, ANY_SOURCE, stats),
  status: Number(stats[WriteStat.Status]),
};

// 4. Garbage that is not an IP packet is dropped and counted, not written.
stats.fill(0n);
device.writeFrames(
  encodeFrame(FrameType.Packet, new Uint8Array([0x10, 1, 2, 3])),
  ANY_SOURCE,
  stats,
);
result.malformed = Number(stats[WriteStat.DroppedMalformed]);

// 5. A GSO frame on a device without offloads is refused.
stats.fill(0n);
device.writeFrames(encodeFrame(FrameType.PacketGso, new Uint8Array(40)), ANY_SOURCE, stats);
result.gsoStatus = Number(stats[WriteStat.Status]);

device.close();
device.close(); // twice is safe
console.log(JSON.stringify(result));
