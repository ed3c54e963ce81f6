/**
 * What the send queue's AQM needs to know about the frames it holds, read in place from the wire
 * frames (4-byte header, then an IP packet, or a virtio_net_hdr and an IP packet): where a frame
 * ends, whether its packet is "sparse" (worth sending ahead of bulk data), and ECN marking.
 * Pure functions over bytes; nothing here allocates.
 */
import { FRAME_HEADER_SIZE, FrameType, VNET_HDR_SIZE } from "../frame/constants.ts";

/** Packets up to this many bytes (IP total length) are sparse: pings, ACKs, DNS, keystrokes. */
export const SPARSE_PACKET_BYTES = 128;

const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_ICMPV6 = 58;

/** Length of the frame that starts at `offset` (header included). */
export function frameLength(bytes: Uint8Array, offset: number): number {
  return FRAME_HEADER_SIZE +
    ((bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!);
}

/** Whether the frame at `offset` carries a packet (Packet or PacketGso), not a control message. */
export function isDataFrame(bytes: Uint8Array, offset: number): boolean {
  const type = bytes[offset];
  return type === FrameType.Packet || type === FrameType.PacketGso;
}

/** Offset of the IP header of the data frame at `offset`. */
function ipOffset(bytes: Uint8Array, offset: number): number {
  return offset + FRAME_HEADER_SIZE + (bytes[offset] === FrameType.PacketGso ? VNET_HDR_SIZE : 0);
}

/** What a data frame's packet is to the send queue (see packetKind). */
export const PacketKind = {
  /** Bulk data: waits in the bulk lane, under CoDel. */
  Bulk: 0,
  /** A sparse packet of its own flow (a ping, DNS, a keystroke): served first, or on the lane. */
  Sparse: 1,
  /** A TCP segment without payload (mostly the ACKs of a bulk flow): served first. */
  BareTcp: 2,
} as const;

export type PacketKind = typeof PacketKind[keyof typeof PacketKind];

/**
 * What the data frame at `offset` holds. Sparse (served ahead of the bulk backlog, the way
 * fq_codel serves new and sparse flows first): any ICMP/ICMPv6 message, a TCP segment without
 * payload (ACK, SYN, FIN: BareTcp), or any packet of at most SPARSE_PACKET_BYTES. BareTcp is told
 * apart because a bulk flow's ACKs come by the hundred a second: they stay off the sparse lane,
 * whose losses they would otherwise multiply for the pings that share it.
 */
export function packetKind(bytes: Uint8Array, offset: number): PacketKind {
  const end = offset + frameLength(bytes, offset);
  const ip = ipOffset(bytes, offset);
  if (end - ip < 20) return PacketKind.Bulk;
  const version = bytes[ip]! >> 4;
  if (version === 4) {
    const total = (bytes[ip + 2]! << 8) | bytes[ip + 3]!;
    const protocol = bytes[ip + 9];
    const headers = (bytes[ip]! & 0x0f) * 4;
    if (protocol === PROTO_TCP && tcpWithoutPayload(bytes, ip + headers, total - headers, end)) {
      return PacketKind.BareTcp;
    }
    return total <= SPARSE_PACKET_BYTES || protocol === PROTO_ICMP
      ? PacketKind.Sparse
      : PacketKind.Bulk;
  }
  if (version === 6 && end - ip >= 40) {
    const payload = (bytes[ip + 4]! << 8) | bytes[ip + 5]!;
    const next = bytes[ip + 6];
    if (next === PROTO_TCP && tcpWithoutPayload(bytes, ip + 40, payload, end)) {
      return PacketKind.BareTcp;
    }
    return 40 + payload <= SPARSE_PACKET_BYTES || next === PROTO_ICMPV6
      ? PacketKind.Sparse
      : PacketKind.Bulk;
  }
  return PacketKind.Bulk;
}

/** Whether the data frame at `offset` holds a sparse packet (Sparse or BareTcp, see packetKind). */
export function isSparse(bytes: Uint8Array, offset: number): boolean {
  return packetKind(bytes, offset) !== PacketKind.Bulk;
}

function tcpWithoutPayload(bytes: Uint8Array, tcp: number, segment: number, end: number): boolean {
  if (tcp + 13 > end) return false;
  return segment === (bytes[tcp + 12]! >> 4) * 4;
}

/**
 * Marks the packet of the data frame at `offset` Congestion Experienced when it is ECN-capable,
 * in place (updating the IPv4 header checksum); returns whether it is now marked. A packet that
 * is not ECN-capable is left alone: the caller drops it instead.
 */
export function markCongestion(bytes: Uint8Array, offset: number): boolean {
  const end = offset + frameLength(bytes, offset);
  const ip = ipOffset(bytes, offset);
  if (end - ip < 20) return false;
  const version = bytes[ip]! >> 4;
  if (version === 4) {
    const ecn = bytes[ip + 1]! & 0x03;
    if (ecn === 0) return false;
    if (ecn === 0x03) return true;
    const old = (bytes[ip]! << 8) | bytes[ip + 1]!;
    bytes[ip + 1] = bytes[ip + 1]! | 0x03;
    const updated = (bytes[ip]! << 8) | bytes[ip + 1]!;
    // RFC 1624: HC' = ~(~HC + ~m + m'), in ones' complement.
    let sum = (~((bytes[ip + 10]! << 8) | bytes[ip + 11]!) & 0xffff) + (~old & 0xffff) + updated;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    const checksum = ~sum & 0xffff;
    bytes[ip + 10] = checksum >> 8;
    bytes[ip + 11] = checksum & 0xff;
    return true;
  }
  if (version === 6 && end - ip >= 40) {
    const ecn = (bytes[ip + 1]! >> 4) & 0x03;
    if (ecn === 0) return false;
    bytes[ip + 1] = bytes[ip + 1]! | 0x30;
    return true;
  }
  return false;
}
