/**
 * native/vnet_header.c, the check of a peer's virtio_net_hdr before our TUN device sees it: honest
 * headers pass as the kernel made them, each hostile kind is refused for its reason, and on random
 * frames (fast-check through FFI) whatever passes obeys the rules the kernel relies on.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { nearHonestPayloads as frames } from "../lib/vnet_arbitrary.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { GSO_MAX_SEGMENTS, VnetCheck } from "../../src/native/vnet_header.ts";
import {
  DATA_VALID,
  GSO_ECN,
  GSO_NONE,
  GSO_TCPV4,
  GSO_TCPV6,
  GSO_UDP,
  GSO_UDP_L4,
  gsoPayload,
  NEEDS_CSUM,
  readVnet,
  TCP,
  UDP,
  VNET_HDR_SIZE,
  type VnetHeader,
} from "../lib/vnet_frames.ts";

const shim = loadNativeLibrary();
const out = new Uint8Array(VNET_HDR_SIZE);

function rebuild(payload: Uint8Array, mtu = 1500): { reason: number; header: VnetHeader } {
  out.fill(0xee);
  const reason = shim.symbols.sss_vnet_header_rebuild(payload, payload.length, mtu, out);
  return { reason, header: readVnet(out) };
}

Deno.test("vnet header: honest TCPv4, TCPv6 and UDP super-packets pass with the header the kernel made", () => {
  for (const [v6, proto] of [[false, TCP], [true, TCP], [false, UDP], [true, UDP]] as const) {
    const payload = gsoPayload({ v6, proto, payloadLength: 60000, gsoSize: 1300 });
    const { reason, header } = rebuild(payload, 1400);
    assert.equal(reason, VnetCheck.Ok, `v6 ${v6} proto ${proto}`);
    assert.deepEqual(header, readVnet(payload));
  }
  // A plain packet: no flags, no GSO; a partial checksum without GSO keeps its place.
  const plain = gsoPayload({ gsoType: GSO_NONE, vnet: { flags: 0, gsoSize: 0, hdrLen: 0 } });
  assert.equal(rebuild(plain).reason, VnetCheck.Ok);
  assert.deepEqual(rebuild(plain).header, readVnet(new Uint8Array(VNET_HDR_SIZE)));
  const partial = gsoPayload({ gsoType: GSO_NONE, payloadLength: 100, vnet: { gsoSize: 0 } });
  const { header } = rebuild(partial);
  assert.deepEqual(header, { ...readVnet(partial), hdrLen: 20 + 16 + 2 });
});

Deno.test("vnet header: DATA_VALID from a peer is not believed (cleared)", () => {
  const payload = gsoPayload({
    gsoType: GSO_NONE,
    vnet: { flags: DATA_VALID, gsoSize: 0, hdrLen: 0, csumStart: 0, csumOffset: 0 },
  });
  const { reason, header } = rebuild(payload);
  assert.equal(reason, VnetCheck.Ok);
  assert.equal(header.flags, 0);
});

Deno.test("vnet header: hostile headers are refused, each for its reason", () => {
  const cases: Array<[string, Uint8Array, number]> = [
    ["shorter than a header", new Uint8Array(9), VnetCheck.Short],
    ["an unknown flag", gsoPayload({ vnet: { flags: NEEDS_CSUM | 4 } }), VnetCheck.BadFlags],
    [
      "tiny gso_size on a 64 KiB packet",
      gsoPayload({ payloadLength: 65000, gsoSize: 1 }),
      VnetCheck.TooManySegments,
    ],
    ["gso_size 0", gsoPayload({ gsoSize: 0 }), VnetCheck.BadSize],
    ["a segment above the MTU", gsoPayload({ gsoSize: 1400 }), VnetCheck.BadSize],
    ["TCPV6 on an IPv4 packet", gsoPayload({ gsoType: GSO_TCPV6 }), VnetCheck.BadType],
    ["TCPV4 on an IPv6 packet", gsoPayload({ v6: true, gsoType: GSO_TCPV4 }), VnetCheck.BadType],
    ["TCPV4 on a UDP packet", gsoPayload({ proto: UDP, gsoType: GSO_TCPV4 }), VnetCheck.BadType],
    ["UDP_L4 on a TCP packet", gsoPayload({ gsoType: GSO_UDP_L4 }), VnetCheck.BadType],
    ["UFO", gsoPayload({ proto: UDP, gsoType: GSO_UDP }), VnetCheck.BadType],
    ["ECN on UDP", gsoPayload({ proto: UDP, gsoType: GSO_UDP_L4 | GSO_ECN }), VnetCheck.BadType],
    ["an unknown type", gsoPayload({ gsoType: 9 }), VnetCheck.BadType],
    ["ICMP as TCP", gsoPayload({ proto: 1, gsoType: GSO_TCPV4 }), VnetCheck.BadType],
    ["GSO without NEEDS_CSUM", gsoPayload({ vnet: { flags: 0 } }), VnetCheck.BadChecksum],
    ["csum_start outside", gsoPayload({ vnet: { csumStart: 60000 } }), VnetCheck.BadChecksum],
    ["csum_offset not TCP's", gsoPayload({ vnet: { csumOffset: 6 } }), VnetCheck.BadChecksum],
    [
      "a plain packet's checksum field past its end",
      gsoPayload({ gsoType: GSO_NONE, payloadLength: 10, vnet: { csumOffset: 65000 } }),
      VnetCheck.BadChecksum,
    ],
    [
      "a plain packet's csum_start inside the IP header",
      gsoPayload({ gsoType: GSO_NONE, vnet: { csumStart: 4 } }),
      VnetCheck.BadChecksum,
    ],
    ["GSO without payload", gsoPayload({ payloadLength: 0 }), VnetCheck.BadSize],
  ];
  for (const [what, payload, want] of cases) {
    assert.equal(rebuild(payload, 1400).reason, want, what);
  }
  const fragment = gsoPayload();
  fragment[VNET_HDR_SIZE + 6] = 0x20; // MF
  assert.equal(rebuild(fragment).reason, VnetCheck.BadPacket, "a fragment");
  const shortTcp = gsoPayload();
  shortTcp[VNET_HDR_SIZE + 20 + 12] = 0xf0; // data offset 60 bytes, past a 4-byte payload
  assert.equal(rebuild(shortTcp.subarray(0, VNET_HDR_SIZE + 20 + 40)).reason, VnetCheck.BadPacket);
  assert.equal(rebuild(gsoPayload().subarray(0, VNET_HDR_SIZE + 19)).reason, VnetCheck.BadPacket);
});

/** The IP header and transport facts the rules are written in, read independently of the C. */
function describe(packet: Uint8Array) {
  const version = packet.length > 0 ? packet[0]! >> 4 : 0;
  if (version === 4 && packet.length >= 20) {
    const l4 = (packet[0]! & 0x0f) * 4;
    if (l4 >= 20 && l4 <= packet.length) {
      return {
        v6: false,
        l4,
        proto: packet[9]!,
        fragment: ((packet[6]! << 8 | packet[7]!) & 0x3fff) !== 0,
      };
    }
  }
  if (version === 6 && packet.length >= 40) {
    return { v6: true, l4: 40, proto: packet[6]!, fragment: false };
  }
  return undefined;
}

Deno.test("fuzz: whatever header passes obeys the rules the kernel relies on", () => {
  fc.assert(
    fc.property(frames, ({ payload, mtu }) => {
      const { reason, header } = rebuild(payload, mtu);
      assert.ok(reason >= VnetCheck.Ok && reason <= VnetCheck.TooManySegments);
      if (reason !== VnetCheck.Ok) {
        assert.ok(out.every((b) => b === 0xee), "nothing written on refusal");
        return;
      }
      const packet = payload.subarray(VNET_HDR_SIZE);
      const peer = readVnet(payload);
      assert.equal(header.flags & ~NEEDS_CSUM, 0, "only NEEDS_CSUM");
      assert.equal(header.flags, peer.flags & NEEDS_CSUM);
      if (header.flags & NEEDS_CSUM) {
        const ip = describe(packet);
        assert.ok(ip, "a partial checksum only in a whole IP packet");
        assert.ok(header.csumStart >= ip.l4);
        assert.ok(header.csumStart + header.csumOffset + 2 <= packet.length, "checksum inside");
        assert.ok(header.hdrLen <= packet.length, "hdr_len inside");
      }
      const gso = header.gsoType & ~GSO_ECN;
      if (gso === GSO_NONE) {
        assert.equal(header.gsoType, GSO_NONE);
        assert.equal(header.gsoSize, 0);
        return;
      }
      const ip = describe(packet)!;
      assert.equal(header.gsoType, peer.gsoType);
      assert.equal(header.flags, NEEDS_CSUM);
      assert.ok(!ip.fragment);
      assert.equal(header.csumStart, ip.l4);
      if (gso === GSO_TCPV4 || gso === GSO_TCPV6) {
        assert.equal(ip.proto, TCP);
        assert.equal(ip.v6, gso === GSO_TCPV6);
        assert.equal(header.csumOffset, 16);
        assert.equal(header.hdrLen, ip.l4 + (packet[ip.l4 + 12]! >> 4) * 4);
      } else {
        assert.equal(gso, GSO_UDP_L4);
        assert.equal(header.gsoType, GSO_UDP_L4, "no ECN on UDP");
        assert.equal(ip.proto, UDP);
        assert.equal(header.csumOffset, 6);
        assert.equal(header.hdrLen, ip.l4 + 8);
      }
      assert.ok(header.hdrLen < packet.length, "headers and at least one payload byte");
      assert.equal(header.gsoSize, peer.gsoSize);
      assert.ok(header.gsoSize >= 1);
      assert.ok(header.hdrLen + header.gsoSize <= (mtu || 65535), "a segment fits the MTU");
      const segments = Math.ceil((packet.length - header.hdrLen) / header.gsoSize);
      assert.ok(segments <= GSO_MAX_SEGMENTS, `${segments} segments`);
    }),
    { numRuns: 3000 },
  );
});

Deno.test("fuzz: an honest header with any gso_size passes exactly when its segments fit the bounds", () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.constantFrom(TCP, UDP),
      fc.integer({ min: 1, max: 65000 }),
      fc.integer({ min: 1, max: 0xffff }),
      (v6, proto, payloadLength, gsoSize) => {
        const payload = gsoPayload({ v6, proto, payloadLength, gsoSize });
        const headers = (v6 ? 40 : 20) + (proto === TCP ? 32 : 8);
        const fits = headers + gsoSize <= 65535 &&
          Math.ceil(payloadLength / gsoSize) <= GSO_MAX_SEGMENTS;
        assert.equal(rebuild(payload, 0).reason === VnetCheck.Ok, fits);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("vnet header: the shim is closed", () => {
  shim.close();
});
