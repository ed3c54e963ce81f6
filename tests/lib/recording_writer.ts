/** A DataFrameWriter in TypeScript with the native shim's semantics, recording packets. */
import { decodeFrameAt, readFrameHeader } from "../../src/frame/codec.ts";
import { FRAME_HEADER_SIZE, FRAME_MAX_PAYLOAD, FrameType } from "../../src/frame/constants.ts";
import { type DataFrameWriter, WriteStat, WriteStatus } from "../../src/frame/receiver.ts";

export class RecordingWriter implements DataFrameWriter {
  packets: Uint8Array[] = [];
  calls = 0;

  writeFrames(bytes: Uint8Array, allowedSource: number, stats: BigUint64Array): number {
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
      const view = new DataView(frame.payload.buffer, frame.payload.byteOffset);
      if (
        allowedSource !== 0 && frame.payload.length >= 20 && view.getUint32(12) !== allowedSource
      ) {
        stats[WriteStat.DroppedSpoofed]!++;
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
