/** native/mss.c through its pure entry point: which SYNs are clamped, and their checksums after. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { mssClampFor } from "../../src/tun/device.ts";
import {
  checksumField,
  mssOf,
  mssOption,
  pseudoHeaderSum,
  TCP_ACK,
  TCP_SYN,
  tcpChecksum,
  tcpOffset,
  tcpPacket,
} from "../lib/tcp.ts";

const lib = loadNativeLibrary();

/** Runs sss_mss_clamp on a copy; returns whether it changed the packet, and the copy. */
function clamp(packet: Uint8Array, mss4: number, mss6: number, partial = false) {
  const copy = packet.slice();
  const changed = lib.symbols.sss_mss_clamp(copy, copy.length, mss4, mss6, partial ? 1 : 0);
  return { changed: changed === 1, packet: copy };
}

/** Bytes where a and b differ. */
function differing(a: Uint8Array, b: Uint8Array): number[] {
  return [...a.keys()].filter((i) => a[i] !== b[i]);
}

const NOP = 1;
const SACK_PERMITTED = Uint8Array.of(4, 2);
const WINDOW_SCALE = Uint8Array.of(3, 3, 7);
const TIMESTAMPS = Uint8Array.of(8, 10, 1, 2, 3, 4, 0, 0, 0, 0);

Deno.test("mssClampFor() leaves room for the IPv4 and IPv6 headers and TCP's", () => {
  assert.deepEqual(mssClampFor(1400), { mss4: 1360, mss6: 1340 });
});

Deno.test("sss_mss_clamp lowers the MSS of IPv4 and IPv6 SYNs and SYN-ACKs and keeps the checksum right", () => {
  for (
    const [source, destination] of [["10.98.0.2", "10.98.0.1"], ["fd98::2", "fd98::1"]] as const
  ) {
    for (const flags of [TCP_SYN, TCP_SYN | TCP_ACK]) {
      const syn = tcpPacket({ source, destination, flags, options: mssOption(1460) });
      assert.equal(checksumField(syn), tcpChecksum(syn), "the fixture itself is right");
      const { changed, packet } = clamp(syn, 1360, 1340);
      assert.ok(changed);
      assert.equal(mssOf(packet), source.includes(":") ? 1340 : 1360);
      assert.equal(checksumField(packet), tcpChecksum(packet), `${source} flags ${flags}`);
    }
  }
});

Deno.test("sss_mss_clamp never raises an MSS and leaves other packets alone", () => {
  const cases: Array<[string, Uint8Array]> = [
    [
      "an MSS at the limit",
      tcpPacket({ source: "10.0.0.2", destination: "10.0.0.1", options: mssOption(1360) }),
    ],
    [
      "an MSS below it",
      tcpPacket({ source: "10.0.0.2", destination: "10.0.0.1", options: mssOption(536) }),
    ],
    [
      "a segment without SYN",
      tcpPacket({ source: "10.0.0.2", destination: "10.0.0.1", flags: TCP_ACK }),
    ],
    [
      "a SYN without an MSS option",
      tcpPacket({ source: "10.0.0.2", destination: "10.0.0.1", options: SACK_PERMITTED }),
    ],
    [
      "a fragment other than the first",
      tcpPacket({ source: "10.0.0.2", destination: "10.0.0.1", fragment: 0x2000 | 3 }),
    ],
    [
      "options after an END option",
      tcpPacket({
        source: "10.0.0.2",
        destination: "10.0.0.1",
        options: Uint8Array.of(0, 0, 0, 0, ...mssOption(1460)),
      }),
    ],
    [
      "an option whose length overruns the header",
      tcpPacket({
        source: "10.0.0.2",
        destination: "10.0.0.1",
        options: Uint8Array.of(5, 40, 0, 0, ...mssOption(1460)),
      }),
    ],
    [
      "an MSS option of the wrong length",
      tcpPacket({
        source: "10.0.0.2",
        destination: "10.0.0.1",
        options: Uint8Array.of(2, 6, 5, 0xb4, 0, 0),
      }),
    ],
  ];
  for (const [what, packet] of cases) {
    const result = clamp(packet, 1360, 1340);
    assert.equal(result.changed, false, what);
    assert.deepEqual(result.packet, packet, what);
  }
  // IPv6 with an extension header (hop-by-hop) before TCP: left alone.
  const v6 = tcpPacket({ source: "fd98::2", destination: "fd98::1" });
  const withExtension = v6.slice();
  withExtension[6] = 0;
  assert.equal(clamp(withExtension, 1360, 1340).changed, false);
  // A family whose limit is 0 is not clamped, the other still is.
  assert.equal(clamp(v6, 1360, 0).changed, false);
  assert.equal(
    clamp(tcpPacket({ source: "10.0.0.2", destination: "10.0.0.1" }), 1360, 0).changed,
    true,
  );
  // Truncated packets: every prefix of a SYN is refused without reading past it.
  const syn = tcpPacket({ source: "10.0.0.2", destination: "10.0.0.1" });
  for (let length = 0; length < syn.length; length++) {
    assert.equal(clamp(syn.subarray(0, length), 1360, 1340).changed, false, `${length} bytes`);
  }
});

Deno.test("sss_mss_clamp with a partial checksum changes only the MSS, not the checksum field", () => {
  const syn = tcpPacket({ source: "10.98.0.2", destination: "10.98.0.1" });
  const tcp = tcpOffset(syn);
  // As the kernel hands it with VIRTIO_NET_HDR_F_NEEDS_CSUM: the field holds the pseudo-header sum.
  syn[tcp + 16] = pseudoHeaderSum(syn) >> 8;
  syn[tcp + 17] = pseudoHeaderSum(syn) & 0xff;
  const { changed, packet } = clamp(syn, 1360, 1340, true);
  assert.ok(changed);
  assert.equal(mssOf(packet), 1360);
  assert.equal(checksumField(packet), pseudoHeaderSum(syn));
  assert.ok(
    differing(syn, packet).every((i) => i === tcp + 22 || i === tcp + 23),
    "only the MSS bytes changed",
  );
});

Deno.test("sss_mss_clamp keeps the checksum right wherever the MSS option sits (odd offsets too)", () => {
  const other = fc.constantFrom(
    Uint8Array.of(NOP),
    SACK_PERMITTED,
    WINDOW_SCALE,
    TIMESTAMPS,
  );
  fc.assert(
    fc.property(
      fc.record({
        v6: fc.boolean(),
        before: fc.array(other, { maxLength: 4 }),
        after: fc.array(other, { maxLength: 3 }),
        mss: fc.integer({ min: 0, max: 65535 }),
        limit: fc.integer({ min: 1, max: 65535 }),
        ipv4Options: fc.integer({ min: 0, max: 10 }).map((n) => new Uint8Array(n * 4).fill(1)),
        payload: fc.uint8Array({ maxLength: 64 }),
        seed: fc.nat(),
      }),
      ({ v6, before, after, mss, limit, ipv4Options, payload, seed }) => {
        const options = Uint8Array.from([
          ...before.flatMap((o) => [...o]),
          ...mssOption(mss),
          ...after.flatMap((o) => [...o]),
        ]);
        if (options.length > 40) return;
        const syn = tcpPacket({
          source: v6
            ? `fd98::${(seed & 0xffff).toString(16)}`
            : `10.98.${seed >>> 24}.${seed & 0xff}`,
          destination: v6 ? "fd98::1" : "10.98.0.1",
          sourcePort: seed & 0xffff,
          options,
          payload,
          ipv4Options,
        });
        const { changed, packet } = clamp(syn, v6 ? 0 : limit, v6 ? limit : 0);
        assert.equal(changed, mss > limit);
        assert.equal(mssOf(packet), Math.min(mss, limit));
        assert.equal(checksumField(packet), tcpChecksum(packet));
        const changedBytes = differing(syn, packet);
        assert.ok(changedBytes.length <= 4, "at most the MSS value and the checksum changed");
      },
    ),
    { numRuns: 2000 },
  );
});
