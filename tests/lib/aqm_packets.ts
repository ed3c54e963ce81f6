/** Wire frames of typical packets for the send queue's AQM tests: bulk TCP data, pings, ECN. */
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";

/** A correct IPv4 header checksum over `header` (checksum field included as it is). */
export function ipv4Checksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += (header[i]! << 8) | header[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv4 packet of `total` bytes with protocol `protocol`, a valid header checksum. */
export function ipv4(
  protocol: number,
  total: number,
  options: { ecn?: number; tcpPayload?: boolean; tag?: number } = {},
): Uint8Array {
  const packet = new Uint8Array(total);
  const view = new DataView(packet.buffer);
  view.setUint8(0, 0x45);
  view.setUint8(1, options.ecn ?? 0);
  view.setUint16(2, total);
  view.setUint16(4, options.tag ?? 0);
  view.setUint8(8, 64);
  view.setUint8(9, protocol);
  view.setUint32(12, 0x0a000002);
  view.setUint32(16, 0x0a000001);
  if (protocol === 6 && total >= 40) {
    // TCP data offset 5 words; a segment of `total - 40` payload bytes.
    packet[20 + 12] = 5 << 4;
  }
  view.setUint16(10, ipv4Checksum(packet.subarray(0, 20)));
  return packet;
}

/** A bulk TCP data segment frame of `total` IP bytes, tagged (IP id) to tell frames apart. */
export function bulkFrame(tag: number, total = 1400, ecn = 0): Uint8Array {
  return encodeFrame(FrameType.Packet, ipv4(6, total, { ecn, tag }));
}

/** An ICMP echo frame (a ping). */
export function pingFrame(tag = 0): Uint8Array {
  return encodeFrame(FrameType.Packet, ipv4(1, 84, { tag }));
}

/** The IP id (tag) of the packet in a Packet frame that starts at `offset`. */
export function frameTag(bytes: Uint8Array, offset = 0): number {
  return (bytes[offset + 4 + 4]! << 8) | bytes[offset + 4 + 5]!;
}

/** Frames one after another in one buffer, as the TUN reader hands a batch over. */
export function batch(...frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((sum, f) => sum + f.length, 0));
  let offset = 0;
  for (const frame of frames) {
    out.set(frame, offset);
    offset += frame.length;
  }
  return out;
}

/** Every frame of a buffer of whole frames, as views. */
export function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const length = 4 +
      ((bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!);
    frames.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return frames;
}
