/**
 * The facade of native/vnet_header.c: the check of a peer's virtio_net_hdr before the device sees
 * it. tun.c calls it on the write path; TypeScript calls it only in tests (fast-check through FFI).
 *
 * @module
 */
import type { NativeShim } from "./symbols.ts";

/** The functions of native/vnet_header.c (the loaded NativeLibrary is one). */
export type VnetHeaderSymbols = NativeShim<"sss_vnet_header_rebuild">;

/** What sss_vnet_header_rebuild says of a header (native/vnet_header.h SSS_VNET_*). */
export const VnetCheck = {
  Ok: 0,
  /** The payload is shorter than a virtio_net_hdr. */
  Short: 1,
  /** A flag other than NEEDS_CSUM / DATA_VALID. */
  BadFlags: 2,
  /** Not a whole IPv4/IPv6 (and transport) header, or a fragment. */
  BadPacket: 3,
  /** gso_type unknown, or not the packet's IP version and protocol. */
  BadType: 4,
  /** csum_start / csum_offset not where the packet says. */
  BadChecksum: 5,
  /** gso_size 0, a segment above the MTU, or no payload. */
  BadSize: 6,
  TooManySegments: 7,
} as const;

/** The most segments a super-packet may make (native/vnet_header.h SSS_GSO_MAX_SEGMENTS). */
export const GSO_MAX_SEGMENTS = 128;
