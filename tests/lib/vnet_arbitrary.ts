/**
 * fast-check arbitraries of PacketGso payloads near honest ones (an honest super-packet or plain
 * packet with fields rewritten, cut short or with bytes overwritten), for the unit fuzz of
 * native/vnet_header.c and the TUN write-path probe.
 *
 * @module
 */
import fc from "fast-check";
import {
  GSO_ECN,
  GSO_NONE,
  GSO_TCPV4,
  GSO_TCPV6,
  GSO_UDP,
  GSO_UDP_L4,
  gsoPayload,
  TCP,
  UDP,
} from "./vnet_frames.ts";

export /** Frames near honest ones: an honest super-packet or plain packet with some fields rewritten. */
const nearHonestPayloads = fc.record({
  v6: fc.boolean(),
  proto: fc.constantFrom(TCP, UDP, 1, 58),
  payloadLength: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 65000 })),
  gsoType: fc.constantFrom(
    GSO_NONE,
    GSO_TCPV4,
    GSO_UDP,
    GSO_TCPV6,
    GSO_UDP_L4,
    GSO_TCPV4 | GSO_ECN,
    GSO_TCPV6 | GSO_ECN,
    GSO_UDP_L4 | GSO_ECN,
    2,
    0x7f,
    0xff,
  ),
  overrides: fc.record({
    flags: fc.integer({ min: 0, max: 255 }),
    hdrLen: fc.integer({ min: 0, max: 0xffff }),
    gsoSize: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 2000 })),
    csumStart: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 80 })),
    csumOffset: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(6, 16)),
  }, { requiredKeys: [] }),
  cut: fc.option(fc.integer({ min: 0, max: 120 })),
  noise: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  mtu: fc.constantFrom(0, 576, 1280, 1400, 1500, 9000, 65535),
}).map(({ v6, proto, payloadLength, gsoType, overrides, cut, noise, mtu }) => {
  let payload = gsoPayload({ v6, proto, payloadLength, gsoType, vnet: overrides });
  if (cut !== null) payload = payload.subarray(0, Math.min(payload.length, cut));
  for (const [at, value] of noise) if (payload.length > 0) payload[at % payload.length] = value;
  return { payload, mtu };
});

/** Honest super-packets and plain packets (TCP or UDP, IPv4 or IPv6) that fit an MTU of 1400. */
export const honestPayloads = fc.record({
  v6: fc.boolean(),
  proto: fc.constantFrom(TCP, UDP),
  gsoSize: fc.integer({ min: 500, max: 1300 }),
  segments: fc.integer({ min: 1, max: 45 }),
  plain: fc.boolean(),
}).map(({ v6, proto, gsoSize, segments, plain }) => ({
  payload: plain
    ? gsoPayload({ v6, proto, payloadLength: 200, gsoType: GSO_NONE, vnet: { gsoSize: 0 } })
    : gsoPayload({ v6, proto, payloadLength: gsoSize * segments, gsoSize }),
  mtu: 1400,
}));
