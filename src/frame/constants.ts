/**
 * Wire frames (docs/design/protocol.md). Every frame is a 4-byte big-endian header, type in the top
 * 8 bits and payload length in the low 24 bits, followed by the payload. native/shim.h defines the
 * same numbers for the data path; tests/unit/native_constants_test.ts keeps the two in agreement.
 */

export const FRAME_HEADER_SIZE = 4;

/** Largest payload any frame may declare: a 64 KiB IP packet plus a virtio_net_hdr, with slack. */
export const FRAME_MAX_PAYLOAD = 65792;

/** Largest payload of a control frame; control frames are small, so a big one is an attack. */
export const CONTROL_MAX_PAYLOAD = 4096;

export const FrameType = {
  /** One IP packet. */
  Packet: 0x01,
  /** A 10-byte virtio_net_hdr then one IP packet, maybe a TSO/USO super-packet. */
  PacketGso: 0x02,
  /** First frame of each side: protocol version, tunnel address, MTU, features (JSON). */
  Hello: 0x10,
  /** Liveness probe; the peer answers Pong with the same 8-byte payload. */
  Ping: 0x11,
  Pong: 0x12,
  /** Orderly close: u16 reason code, then a UTF-8 explanation. */
  Close: 0x13,
  /** Client to server, empty: my sparse lane is gone, give me a token for another. */
  LaneRequest: 0x14,
  /** Server to client: a fresh lane token, 32 lower-case hex digits (ASCII). */
  LaneToken: 0x15,
} as const;

export type FrameType = typeof FrameType[keyof typeof FrameType];

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(FrameType));

export function isKnownFrameType(type: number): type is FrameType {
  return KNOWN_TYPES.has(type);
}

export function isDataFrameType(type: number): boolean {
  return type === FrameType.Packet || type === FrameType.PacketGso;
}

/** Size of the virtio_net_hdr that leads a PacketGso payload. */
export const VNET_HDR_SIZE = 10;
