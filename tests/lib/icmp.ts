/** IPv4 ICMP echo packets for the probes that drive a real TUN device. */
import { parseIpv4 } from "../../src/ip/address.ts";

/** The Internet checksum of `bytes`. */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An ICMP echo request with correct checksums. */
export function echoRequest(source: string, destination: string, id: number, payload: Uint8Array) {
  const packet = new Uint8Array(20 + 8 + payload.length);
  const view = new DataView(packet.buffer);
  view.setUint8(0, 0x45);
  view.setUint16(2, packet.length);
  view.setUint8(8, 64);
  view.setUint8(9, 1);
  packet.set(parseIpv4(source)!, 12);
  packet.set(parseIpv4(destination)!, 16);
  view.setUint16(10, checksum(packet.subarray(0, 20)));
  view.setUint8(20, 8);
  view.setUint16(24, id);
  view.setUint16(26, 1);
  packet.set(payload, 28);
  view.setUint16(22, checksum(packet.subarray(20)));
  return packet;
}

/**
 * The echo reply to an IPv4 ICMP echo request with a 20-byte header (addresses swapped, type 0,
 * checksums redone), or undefined for any other packet.
 */
export function echoReplyTo(request: Uint8Array): Uint8Array | undefined {
  if (request.length < 28 || request[0] !== 0x45 || request[9] !== 1 || request[20] !== 8) {
    return undefined;
  }
  const reply = request.slice();
  const view = new DataView(reply.buffer);
  reply.set(request.subarray(16, 20), 12);
  reply.set(request.subarray(12, 16), 16);
  view.setUint16(10, 0);
  view.setUint16(10, checksum(reply.subarray(0, 20)));
  view.setUint8(20, 0);
  view.setUint16(22, 0);
  view.setUint16(22, checksum(reply.subarray(20)));
  return reply;
}
