/** TCP segments in IPv4 and IPv6 packets, for the MSS clamping tests: build, parse, checksum. */
import { parseAddress } from "../../src/ip/address.ts";
import { checksum } from "./icmp.ts";

export const TCP_SYN = 0x02;
export const TCP_ACK = 0x10;

export interface SegmentSpec {
  readonly source: string;
  readonly destination: string;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
  /** @default TCP_SYN */
  readonly flags?: number;
  /** The TCP options, padded with END to a multiple of 4. @default MSS 1460 */
  readonly options?: Uint8Array;
  readonly payload?: Uint8Array;
  /** IPv4 header options (a multiple of 4 bytes). @default none */
  readonly ipv4Options?: Uint8Array;
  /** IPv4 flags and fragment offset field. @default 0x4000 (don't fragment) */
  readonly fragment?: number;
}

/** The MSS option (kind 2, length 4). */
export function mssOption(mss: number): Uint8Array {
  return Uint8Array.of(2, 4, mss >> 8, mss & 0xff);
}

function address(text: string): Uint8Array {
  const bytes = parseAddress(text);
  if (!bytes) throw new TypeError(`not an address: ${text}`);
  return bytes;
}

/** A TCP segment with correct IP and TCP checksums, in IPv4 or IPv6 after the addresses' family. */
export function tcpPacket(spec: SegmentSpec): Uint8Array {
  const source = address(spec.source);
  const destination = address(spec.destination);
  const rawOptions = spec.options ?? mssOption(1460);
  const options = new Uint8Array(Math.ceil(rawOptions.length / 4) * 4);
  options.set(rawOptions);
  const payload = spec.payload ?? new Uint8Array(0);
  const tcpLength = 20 + options.length + payload.length;
  const v6 = source.length === 16;
  const ipOptions = v6 ? new Uint8Array(0) : spec.ipv4Options ?? new Uint8Array(0);
  const ipLength = v6 ? 40 : 20 + ipOptions.length;
  const packet = new Uint8Array(ipLength + tcpLength);
  const view = new DataView(packet.buffer);
  if (v6) {
    view.setUint32(0, 0x60000000);
    view.setUint16(4, tcpLength);
    packet[6] = 6;
    packet[7] = 64;
    packet.set(source, 8);
    packet.set(destination, 24);
  } else {
    packet[0] = 0x40 | (ipLength / 4);
    view.setUint16(2, packet.length);
    view.setUint16(6, spec.fragment ?? 0x4000);
    packet[8] = 64;
    packet[9] = 6;
    packet.set(source, 12);
    packet.set(destination, 16);
    packet.set(ipOptions, 20);
    view.setUint16(10, checksum(packet.subarray(0, ipLength)));
  }
  const tcp = ipLength;
  view.setUint16(tcp, spec.sourcePort ?? 40000);
  view.setUint16(tcp + 2, spec.destinationPort ?? 7000);
  view.setUint32(tcp + 4, 0x11223344);
  packet[tcp + 12] = ((20 + options.length) / 4) << 4;
  packet[tcp + 13] = spec.flags ?? TCP_SYN;
  view.setUint16(tcp + 14, 65535);
  packet.set(options, tcp + 20);
  packet.set(payload, tcp + 20 + options.length);
  view.setUint16(tcp + 16, tcpChecksum(packet));
  return packet;
}

/** Where the TCP header starts (IPv4 IHL, or 40 for IPv6). */
export function tcpOffset(packet: Uint8Array): number {
  return packet[0]! >> 4 === 6 ? 40 : (packet[0]! & 0x0f) * 4;
}

/** The one's complement sum (folded, not inverted) of the TCP pseudo-header. */
export function pseudoHeaderSum(packet: Uint8Array): number {
  const v6 = packet[0]! >> 4 === 6;
  const tcp = tcpOffset(packet);
  const length = packet.length - tcp;
  const addresses = v6 ? packet.subarray(8, 40) : packet.subarray(12, 20);
  let sum = 0;
  for (let i = 0; i < addresses.length; i += 2) sum += (addresses[i]! << 8) | addresses[i + 1]!;
  sum += 6 + (length & 0xffff) + (length >>> 16);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The TCP checksum the packet should carry (computed with its checksum field taken as 0). */
export function tcpChecksum(packet: Uint8Array): number {
  const tcp = tcpOffset(packet);
  const segment = packet.slice(tcp);
  segment[16] = 0;
  segment[17] = 0;
  let sum = (~checksum(segment) & 0xffff) + pseudoHeaderSum(packet);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The checksum field of the TCP header. */
export function checksumField(packet: Uint8Array): number {
  const tcp = tcpOffset(packet);
  return (packet[tcp + 16]! << 8) | packet[tcp + 17]!;
}

/** The value of the first MSS option, or undefined. */
export function mssOf(packet: Uint8Array): number | undefined {
  const tcp = tcpOffset(packet);
  const end = tcp + (packet[tcp + 12]! >> 4) * 4;
  for (let at = tcp + 20; at < end;) {
    const kind = packet[at]!;
    if (kind === 0) return undefined;
    if (kind === 1) {
      at++;
      continue;
    }
    const length = packet[at + 1]!;
    if (length < 2) return undefined;
    if (kind === 2 && length === 4) return (packet[at + 2]! << 8) | packet[at + 3]!;
    at += length;
  }
  return undefined;
}
