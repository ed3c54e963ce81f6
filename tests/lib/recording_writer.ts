/**
 * A DataFrameWriter in TypeScript with the native shim's semantics, recording packets. With a
 * filter of rules it decides as the shim does (packetVerdict); with ANY_SOURCE it records every
 * payload as it is, IP packet or not, so that stream tests may send arbitrary bytes.
 */
import { decodeFrameAt, readFrameHeader } from "../../src/frame/codec.ts";
import { FRAME_HEADER_SIZE, FRAME_MAX_PAYLOAD, FrameType } from "../../src/frame/constants.ts";
import {
  type DataFrameWriter,
  reportSpoofed,
  WriteStat,
  WriteStatus,
} from "../../src/frame/receiver.ts";
import { type PacketFilter, packetVerdict, Verdict } from "../../src/ip/packet_filter.ts";

const DROP_STAT = {
  [Verdict.Malformed]: WriteStat.DroppedMalformed,
  [Verdict.LinkLocal]: WriteStat.DroppedLinkLocal,
  [Verdict.Spoofed]: WriteStat.DroppedSpoofed,
  [Verdict.Destination]: WriteStat.DroppedDestination,
} as const;

export class RecordingWriter implements DataFrameWriter {
  packets: Uint8Array[] = [];
  calls = 0;

  writeFrames(bytes: Uint8Array, filter: PacketFilter, stats: BigUint64Array): number {
    this.calls++;
    let offset = 0;
    stats[WriteStat.Status] = BigInt(WriteStatus.NeedMore);
    while (bytes.length - offset >= FRAME_HEADER_SIZE) {
      const header = readFrameHeader(bytes, offset);
      if (header.type !== FrameType.Packet) {
        stats[WriteStat.Status] = BigInt(
          header.type === FrameType.PacketGso ? WriteStatus.BadGso : WriteStatus.Control,
        );
        break;
      }
      if (header.length > FRAME_MAX_PAYLOAD) {
        stats[WriteStat.Status] = BigInt(WriteStatus.BadFrame);
        break;
      }
      const frame = decodeFrameAt(bytes, offset);
      if (!frame) break;
      offset += FRAME_HEADER_SIZE + frame.payload.length;
      const verdict = filter.ruleCount === 0 ? Verdict.Pass : packetVerdict(filter, frame.payload);
      if (verdict !== Verdict.Pass) {
        stats[DROP_STAT[verdict]]!++;
        if (verdict === Verdict.Spoofed) {
          const v6 = frame.payload[0]! >> 4 === 6;
          reportSpoofed(stats, frame.payload.slice(v6 ? 8 : 12, v6 ? 24 : 16));
        }
        continue;
      }
      this.packets.push(frame.payload.slice());
      stats[WriteStat.Packets]!++;
      stats[WriteStat.Bytes]! += BigInt(frame.payload.length);
    }
    return offset;
  }
}

/** A minimal IPv4 packet (header only plus payload) from `source` to `destination`. */
export function ipv4Packet(source: number, destination: number, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(20 + payload.length);
  const view = new DataView(packet.buffer);
  view.setUint8(0, 0x45);
  view.setUint16(2, packet.length);
  view.setUint8(8, 64);
  view.setUint8(9, 17);
  view.setUint32(12, source);
  view.setUint32(16, destination);
  packet.set(payload, 20);
  return packet;
}
