/**
 * PacketGso payloads (a virtio_net_hdr, then one IP packet) as a peer could send them, honest or
 * hostile, for the tests of native/vnet_header.c and of the offload converter: the unit fuzz, the
 * TUN probe, the site-to-site lab and offload_test.
 *
 * @module
 */
import { parseIpv4 } from "../../src/ip/address.ts";
import { checksum } from "./icmp.ts";
import { VNET_HDR_SIZE } from "../../src/frame/constants.ts";

export const TCP = 6, UDP = 17;
export const NEEDS_CSUM = 1, DATA_VALID = 2;
export const GSO_NONE = 0,
  GSO_TCPV4 = 1,
  GSO_UDP = 3,
  GSO_TCPV6 = 4,
  GSO_UDP_L4 = 5,
  GSO_ECN = 0x80;
export { VNET_HDR_SIZE };

/** The fields of a virtio_net_hdr (little endian on the hosts we build for). */
export interface VnetHeader {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

export function readVnet(bytes: Uint8Array): VnetHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, VNET_HDR_SIZE);
  return {
    flags: view.getUint8(0),
    gsoType: view.getUint8(1),
    hdrLen: view.getUint16(2, true),
    gsoSize: view.getUint16(4, true),
    csumStart: view.getUint16(6, true),
    csumOffset: view.getUint16(8, true),
  };
}

export function writeVnet(bytes: Uint8Array, h: VnetHeader): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, VNET_HDR_SIZE);
  view.setUint8(0, h.flags);
  view.setUint8(1, h.gsoType);
  view.setUint16(2, h.hdrLen, true);
  view.setUint16(4, h.gsoSize, true);
  view.setUint16(6, h.csumStart, true);
  view.setUint16(8, h.csumOffset, true);
}

export interface GsoPacketOptions {
  v6?: boolean;
  proto?: number;
  /** Transport payload bytes. @default 4000 */
  payloadLength?: number;
  /** @default 1348 */
  gsoSize?: number;
  /** @default the honest type for v6/proto */
  gsoType?: number;
  /** IPv4 source and destination (IPv6 uses fd00::2 -> fd00::1). */
  source?: string;
  destination?: string;
  /** IPv4 identification (segments count up from it). @default 0 */
  ipId?: number;
  /** TCP sequence number of the first byte. @default 1000 */
  tcpSequence?: number;
  /** TCP flags. @default 0x18 (PSH|ACK) */
  tcpFlags?: number;
  /** Fields to overwrite in the honest header. */
  vnet?: Partial<VnetHeader>;
}

/**
 * A super-packet as a TUN device with offloads hands it over (TCP with 12 bytes of options or UDP,
 * checksum field holding the pseudo-header sum), preceded by its virtio_net_hdr.
 */
export function gsoPayload(options: GsoPacketOptions = {}): Uint8Array {
  const v6 = options.v6 ?? false, proto = options.proto ?? TCP;
  const payloadLength = options.payloadLength ?? 4000;
  const ipLength = v6 ? 40 : 20, l4Length = proto === TCP ? 32 : 8;
  const packet = new Uint8Array(ipLength + l4Length + payloadLength);
  const view = new DataView(packet.buffer);
  if (v6) {
    view.setUint8(0, 0x60);
    view.setUint16(4, l4Length + payloadLength);
    view.setUint8(6, proto);
    view.setUint8(7, 64);
    packet.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 8);
    packet.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 24);
  } else {
    view.setUint8(0, 0x45);
    view.setUint16(2, packet.length);
    view.setUint16(4, options.ipId ?? 0);
    view.setUint16(6, 0x4000); // DF
    view.setUint8(8, 64);
    view.setUint8(9, proto);
    packet.set(parseIpv4(options.source ?? "10.0.0.2")!, 12);
    packet.set(parseIpv4(options.destination ?? "10.0.0.1")!, 16);
  }
  view.setUint16(ipLength, 40000);
  view.setUint16(ipLength + 2, 9);
  if (proto === TCP) {
    view.setUint32(ipLength + 4, options.tcpSequence ?? 1000);
    view.setUint8(ipLength + 12, (l4Length / 4) << 4);
    view.setUint8(ipLength + 13, options.tcpFlags ?? 0x18); // PSH|ACK
    view.setUint16(ipLength + 14, 512);
    packet.set([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], ipLength + 20);
  } else if (proto === UDP) {
    view.setUint16(ipLength + 4, l4Length + payloadLength);
  }
  for (let i = ipLength + l4Length; i < packet.length; i++) packet[i] = i & 0xff;
  if (!v6) view.setUint16(10, checksum(packet.subarray(0, 20)));
  // CHECKSUM_PARTIAL: the field holds the (not inverted) pseudo-header sum.
  const pseudo = new Uint8Array(v6 ? 40 : 12);
  pseudo.set(packet.subarray(v6 ? 8 : 12, v6 ? 40 : 20));
  const pv = new DataView(pseudo.buffer);
  if (v6) {
    pv.setUint32(32, l4Length + payloadLength);
    pv.setUint8(39, proto);
  } else {
    pv.setUint8(9, proto);
    pv.setUint16(10, l4Length + payloadLength);
  }
  view.setUint16(ipLength + (proto === TCP ? 16 : 6), ~checksum(pseudo) & 0xffff);
  const honestType = proto === UDP ? GSO_UDP_L4 : v6 ? GSO_TCPV6 : GSO_TCPV4;
  const out = new Uint8Array(VNET_HDR_SIZE + packet.length);
  writeVnet(out, {
    flags: NEEDS_CSUM,
    gsoType: options.gsoType ?? honestType,
    hdrLen: ipLength + l4Length,
    gsoSize: options.gsoSize ?? 1348,
    csumStart: ipLength,
    csumOffset: proto === TCP ? 16 : 6,
    ...options.vnet,
  });
  out.set(packet, VNET_HDR_SIZE);
  return out;
}
