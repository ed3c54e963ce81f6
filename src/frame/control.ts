/** Payloads of the control frames (docs/design/protocol.md): Hello, Ping/Pong and Close. */
import { encodeFrame, FrameError } from "./codec.ts";
import { CONTROL_MAX_PAYLOAD, FrameType } from "./constants.ts";
import { type IpPrefix, parsePrefix } from "../ip/prefix.ts";

/** The protocol version this build speaks. A peer with another major version is refused. */
export const PROTOCOL_VERSION = 1;

/** Optional capabilities a side may state in its Hello. */
export const Feature = {
  /** The side's TUN runs with IFF_VNET_HDR offloads and accepts PacketGso frames. */
  Gso: "gso",
  /** The side can carry sparse packets on a second connection (docs/design/protocol.md). */
  Lanes: "lanes",
  /** A client asks for (LaneRequest), a server answers (LaneToken) a token for a new lane. */
  LaneRenew: "lane-renew",
} as const;

/** A lane token: 128 random bits, lower-case hex. */
export const LANE_TOKEN_PATTERN = /^[0-9a-f]{32}$/;

/** The most routes one Hello may announce (64 IPv6 prefixes fit the 4 KiB control frame). */
export const MAX_PUSHED_ROUTES = 64;

/** A Hello as sent: its addresses and routes as text (`10.0.0.2/24`). */
export interface Hello {
  readonly protocol: number;
  readonly software: string;
  /** The sender's tunnel address with prefix, e.g. 10.0.0.2/24. */
  readonly address: string;
  readonly mtu: number;
  readonly features: readonly string[];
  /** The sender's IPv6 tunnel address with prefix, e.g. fd00:5::2/64, when it has one. */
  readonly address6?: string;
  /** Server only: networks the client may route through the tunnel (`push_routes`). */
  readonly routes?: readonly string[];
  /**
   * Server's answer: the single-use token a second connection names to join this session as
   * its sparse lane. Client's Hello on that second connection: the token it redeems.
   */
  readonly lane?: string;
}

/** A text of at most `max` characters, or why not. */
function shortText(value: unknown, max: number): string | undefined {
  if (typeof value !== "string") return "not a string";
  return value.length > max ? `longer than ${max} characters` : undefined;
}

/** A list of at most `max` texts of at most 50 characters, or why not. */
function textList(value: unknown, max: number): string | undefined {
  if (!Array.isArray(value)) return "not a list";
  if (value.length > max) return `more than ${max} entries`;
  for (const [index, entry] of value.entries()) {
    const problem = shortText(entry, 50);
    if (problem) return `entry ${index}: ${problem}`;
  }
  return undefined;
}

function wholeNumber(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value)) return "not a whole number";
  return value < min || value > max ? `not from ${min} to ${max}` : undefined;
}

/** The fields of a Hello and their checks; an absent optional field is not checked. */
const HELLO_FIELDS: Readonly<
  Record<keyof Hello, { optional?: true; check: (value: unknown) => string | undefined }>
> = {
  protocol: { check: (value) => wholeNumber(value, 1, Number.MAX_SAFE_INTEGER) },
  software: { check: (value) => shortText(value, 100) },
  address: { check: (value) => shortText(value, 50) },
  mtu: { check: (value) => wholeNumber(value, 576, 65535) },
  features: { check: (value) => textList(value, 32) },
  address6: { optional: true, check: (value) => shortText(value, 50) },
  routes: { optional: true, check: (value) => textList(value, MAX_PUSHED_ROUTES) },
  lane: {
    optional: true,
    check: (value) =>
      typeof value === "string" && LANE_TOKEN_PATTERN.test(value) ? undefined : "not a lane token",
  },
};

/** `json` as a Hello (its known fields only: a newer peer's extra fields are left out). */
function checkHello(json: unknown): Hello {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new FrameError("hello is malformed: value: not a JSON object");
  }
  const fields = json as Record<string, unknown>;
  const hello: Record<string, unknown> = {};
  for (const [name, { optional, check }] of Object.entries(HELLO_FIELDS)) {
    const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (value === undefined && optional) continue;
    const problem = value === undefined ? "missing" : check(value);
    if (problem !== undefined) throw new FrameError(`hello is malformed: ${name}: ${problem}`);
    hello[name] = value;
  }
  return hello as unknown as Hello;
}

/**
 * An address or network a peer's Hello states: the text it sent (for messages), and the prefix
 * it stands for, parsed once when the Hello is read; undefined when the text is not
 * `address/length` (the receiver refuses it in its own words).
 */
export interface StatedPrefix {
  readonly text: string;
  readonly prefix: IpPrefix | undefined;
}

/** A Hello as read from the peer: its tunnel addresses and routes parsed. */
export interface PeerHello extends Omit<Hello, "address" | "address6" | "routes"> {
  readonly address: StatedPrefix;
  readonly address6?: StatedPrefix;
  readonly routes?: readonly StatedPrefix[];
}

/** `text` as a Hello states it: parsed when it is `address/length`. */
export function statedPrefix(text: string): StatedPrefix {
  const parsed = text.includes("/") ? parsePrefix(text) : undefined;
  return { text, prefix: typeof parsed === "string" ? undefined : parsed };
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

export function encodeHello(hello: Hello): Uint8Array {
  return encodeFrame(FrameType.Hello, textEncoder.encode(JSON.stringify(hello)));
}

/**
 * Decodes a Hello payload, its addresses and routes parsed; a malformed one is a FrameError
 * naming what is wrong (an address that is not one is left to the receiver to refuse).
 */
export function decodeHello(payload: Uint8Array): PeerHello {
  let json: unknown;
  try {
    json = JSON.parse(textDecoder.decode(payload));
  } catch {
    throw new FrameError("hello is not valid UTF-8 JSON");
  }
  const { address, address6, routes, ...rest } = checkHello(json);
  return {
    ...rest,
    address: statedPrefix(address),
    ...(address6 === undefined ? {} : { address6: statedPrefix(address6) }),
    ...(routes === undefined ? {} : { routes: routes.map(statedPrefix) }),
  };
}

/** A LaneRequest (client) or a LaneToken carrying `token` (server). */
export function encodeLaneControl(token?: string): Uint8Array {
  if (token === undefined) return encodeFrame(FrameType.LaneRequest, new Uint8Array(0));
  return encodeFrame(FrameType.LaneToken, textEncoder.encode(token));
}

/** The token of a LaneToken payload; a FrameError when it is not 32 lower-case hex digits. */
export function decodeLaneToken(payload: Uint8Array): string {
  const token = payload.length === 32 ? new TextDecoder().decode(payload) : "";
  if (!LANE_TOKEN_PATTERN.test(token)) {
    throw new FrameError(`lane token is not 32 lower-case hex digits (${payload.length} bytes)`);
  }
  return token;
}

export const PING_PAYLOAD_SIZE = 8;

/** A Ping (or Pong) carrying an 8-byte token, echoed by the peer to measure round trips. */
export function encodePing(type: typeof FrameType.Ping | typeof FrameType.Pong, token: bigint) {
  const payload = new Uint8Array(PING_PAYLOAD_SIZE);
  new DataView(payload.buffer).setBigUint64(0, token);
  return encodeFrame(type, payload);
}

export function decodePingToken(payload: Uint8Array): bigint {
  if (payload.length !== PING_PAYLOAD_SIZE) {
    throw new FrameError(`ping payload is ${payload.length} bytes, expected ${PING_PAYLOAD_SIZE}`);
  }
  return new DataView(payload.buffer, payload.byteOffset, PING_PAYLOAD_SIZE).getBigUint64(0);
}

/** Why a side closes a session; sent in Close frames and logged by the peer. */
export const CloseCode = {
  Shutdown: 1,
  ProtocolError: 2,
  AddressInUse: 3,
  AddressRejected: 4,
  PeerTimeout: 5,
  Replaced: 6,
  VersionMismatch: 7,
  CertificateRefused: 8,
  /** The same certificate is connected from two hosts that keep replacing each other. */
  Duplicate: 9,
  /** The server has reached max_clients. */
  ServerFull: 10,
  /** A second connection named a lane token that is unknown, used, expired or not its own. */
  LaneRefused: 11,
} as const;

export type CloseCode = typeof CloseCode[keyof typeof CloseCode];

export interface CloseReason {
  readonly code: number;
  readonly message: string;
}

export function encodeClose(reason: CloseReason): Uint8Array {
  const text = textEncoder.encode(reason.message).subarray(0, CONTROL_MAX_PAYLOAD - 2);
  const payload = new Uint8Array(2 + text.length);
  new DataView(payload.buffer).setUint16(0, reason.code);
  payload.set(text, 2);
  return encodeFrame(FrameType.Close, payload);
}

export function decodeClose(payload: Uint8Array): CloseReason {
  if (payload.length < 2) throw new FrameError("close frame shorter than its 2-byte code");
  const code = new DataView(payload.buffer, payload.byteOffset, 2).getUint16(0);
  let message: string;
  try {
    message = textDecoder.decode(payload.subarray(2));
  } catch {
    throw new FrameError("close reason is not valid UTF-8");
  }
  return { code, message };
}
