import {
  CONTROL_MAX_PAYLOAD,
  FRAME_HEADER_SIZE,
  FRAME_MAX_PAYLOAD,
  type FrameType,
  isDataFrameType,
  isKnownFrameType,
} from "./constants.ts";

/** A frame header that breaks the protocol: the session that sent it is closed. */
export class FrameError extends Error {
  override name = "FrameError";
}

export interface FrameHeader {
  readonly type: number;
  readonly length: number;
}

/** Reads the header at `offset`; the caller ensures 4 bytes are there. */
export function readFrameHeader(bytes: Uint8Array, offset: number): FrameHeader {
  const word = new DataView(bytes.buffer, bytes.byteOffset + offset, FRAME_HEADER_SIZE).getUint32(
    0,
  );
  return { type: word >>> 24, length: word & 0xffffff };
}

/** Throws FrameError when a header is of an unknown type or longer than its type allows. */
export function checkFrameHeader(header: FrameHeader): void {
  if (!isKnownFrameType(header.type)) {
    throw new FrameError(`unknown frame type 0x${header.type.toString(16).padStart(2, "0")}`);
  }
  const limit = isDataFrameType(header.type) ? FRAME_MAX_PAYLOAD : CONTROL_MAX_PAYLOAD;
  if (header.length > limit) {
    throw new FrameError(
      `frame of type 0x${
        header.type.toString(16)
      } declares ${header.length} bytes, above the limit ${limit}`,
    );
  }
}

export function writeFrameHeader(
  bytes: Uint8Array,
  offset: number,
  type: FrameType,
  length: number,
) {
  if (length > FRAME_MAX_PAYLOAD) {
    throw new RangeError(`Frame payload too large: ${length} > ${FRAME_MAX_PAYLOAD}`);
  }
  new DataView(bytes.buffer, bytes.byteOffset + offset, FRAME_HEADER_SIZE)
    .setUint32(0, ((type << 24) | length) >>> 0);
}

/** Encodes one whole frame into a new array. */
export function encodeFrame(type: FrameType, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  writeFrameHeader(out, 0, type, payload.length);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

export interface Frame {
  readonly type: FrameType;
  readonly payload: Uint8Array;
}

/**
 * Decodes the complete frame at `offset`, or returns undefined when the bytes end inside it.
 * The payload is a view into `bytes`, not a copy.
 */
export function decodeFrameAt(bytes: Uint8Array, offset: number): Frame | undefined {
  if (bytes.length - offset < FRAME_HEADER_SIZE) return undefined;
  const header = readFrameHeader(bytes, offset);
  checkFrameHeader(header);
  const start = offset + FRAME_HEADER_SIZE;
  if (bytes.length - start < header.length) return undefined;
  return {
    type: header.type as FrameType,
    payload: bytes.subarray(start, start + header.length),
  };
}
