/** src/ip/packet_filter.ts, and native/filter.c held against it. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type IpPrefix, prefix } from "../../src/ip/prefix.ts";
import { parseAddress } from "../../src/ip/address.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import {
  ANY_SOURCE,
  compilePacketFilter,
  FILTER_RULE_SIZE,
  MAX_FILTER_RULES,
  type PacketFilter,
  packetVerdict,
  RuleKind,
  Verdict,
} from "../../src/ip/packet_filter.ts";

const lib = loadNativeLibrary();

/** A header-only IPv4 or IPv6 packet (family from the addresses). */
function packet(source: string, destination: string): Uint8Array {
  const s = parseAddress(source)!, d = parseAddress(destination)!;
  if (s.length === 4) {
    const p = new Uint8Array(20);
    p[0] = 0x45;
    p.set(s, 12);
    p.set(d, 16);
    return p;
  }
  const p = new Uint8Array(40);
  p[0] = 0x60;
  p.set(s, 8);
  p.set(d, 24);
  return p;
}

function nativeVerdict(filter: PacketFilter, bytes: Uint8Array): number {
  return lib.symbols.sss_packet_verdict(filter.bytes, filter.bytes.length, bytes, bytes.length);
}

/** Both implementations' verdict, after checking they agree. */
function verdict(filter: PacketFilter, bytes: Uint8Array): number {
  const ours = packetVerdict(filter, bytes);
  assert.equal(nativeVerdict(filter, bytes), ours, "native/filter.c and packet_filter.ts agree");
  return ours;
}

Deno.test("compilePacketFilter lays out one 20-byte record per rule, host bits cleared", () => {
  const filter = compilePacketFilter({
    sources: [prefix("10.0.0.2/32")],
    allowDestinations: [prefix("fd00::1/128")],
    denyDestinations: [prefix("10.0.0.77/24")],
  });
  assert.equal(filter.ruleCount, 3);
  assert.equal(filter.bytes.length, 3 * FILTER_RULE_SIZE);
  assert.deepEqual([...filter.bytes.subarray(0, 8)], [RuleKind.Source, 4, 32, 0, 10, 0, 0, 2]);
  assert.deepEqual([...filter.bytes.subarray(20, 24)], [RuleKind.AllowDestination, 6, 128, 0]);
  assert.deepEqual(
    [...filter.bytes.subarray(40, 48)],
    [RuleKind.DenyDestination, 4, 24, 0, 10, 0, 0, 0],
  );
  assert.deepEqual([...filter.bytes.subarray(48, 60)], new Array(12).fill(0));
  assert.equal(ANY_SOURCE.ruleCount, 0);
  assert.equal(ANY_SOURCE.bytes.length, 0);
});

Deno.test("compilePacketFilter refuses more than MAX_FILTER_RULES rules and broken prefixes", () => {
  const many = Array.from({ length: MAX_FILTER_RULES }, () => prefix("10.0.0.0/8"));
  assert.equal(compilePacketFilter({ sources: many }).ruleCount, MAX_FILTER_RULES);
  assert.throws(
    () => compilePacketFilter({ sources: many, denyDestinations: [prefix("10.0.0.0/8")] }),
    (error) => error instanceof RangeError && /at most 4096 rules, not 4097/.test(error.message),
  );
  const bad: IpPrefix = { family: 4, bytes: new Uint8Array(16), length: 8 };
  assert.throws(() => compilePacketFilter({ sources: [bad] }), RangeError);
  const long: IpPrefix = { family: 4, bytes: new Uint8Array(4), length: 33 };
  assert.throws(() => compilePacketFilter({ sources: [long] }), RangeError);
});

Deno.test("the shim refuses filter bytes that compilePacketFilter would never make", () => {
  const p = packet("10.0.0.2", "10.0.0.1");
  const EINVAL = -22, E2BIG = -7;
  const good = compilePacketFilter({ sources: [prefix("10.0.0.2/32")] }).bytes;
  const call = (rules: Uint8Array) =>
    lib.symbols.sss_packet_verdict(rules, rules.length, p, p.length);
  assert.equal(call(good), Verdict.Pass);
  assert.equal(call(good.subarray(0, 19)), EINVAL, "not a whole record");
  for (const [at, value] of [[0, 9], [1, 5], [2, 33], [3, 1]]) {
    const broken = good.slice();
    broken[at!] = value!;
    assert.equal(call(broken), EINVAL, `byte ${at} = ${value}`);
  }
  const tooMany = new Uint8Array((MAX_FILTER_RULES + 1) * FILTER_RULE_SIZE);
  for (let at = 0; at < tooMany.length; at += FILTER_RULE_SIZE) tooMany.set(good, at);
  assert.equal(call(tooMany), E2BIG);
});

Deno.test("packet filter: sources must be owned, in either family, when source rules exist", () => {
  const filter = compilePacketFilter({
    sources: [prefix("10.0.0.2/32"), prefix("192.168.10.0/24"), prefix("fd00:1::/64")],
  });
  assert.equal(verdict(filter, packet("10.0.0.2", "10.0.0.1")), Verdict.Pass);
  assert.equal(verdict(filter, packet("192.168.10.77", "10.0.0.1")), Verdict.Pass);
  assert.equal(verdict(filter, packet("fd00:1::99", "fd00::1")), Verdict.Pass);
  assert.equal(verdict(filter, packet("10.0.0.3", "10.0.0.1")), Verdict.Spoofed);
  assert.equal(verdict(filter, packet("192.168.11.1", "10.0.0.1")), Verdict.Spoofed);
  assert.equal(verdict(filter, packet("fd00:2::1", "fd00::1")), Verdict.Spoofed);
  const v4Only = compilePacketFilter({ sources: [prefix("10.0.0.2/32")] });
  assert.equal(verdict(v4Only, packet("fd00:1::2", "fd00::1")), Verdict.Spoofed, "no IPv6 owned");
  assert.equal(verdict(ANY_SOURCE, packet("203.0.113.9", "10.0.0.1")), Verdict.Pass);
  assert.equal(verdict(ANY_SOURCE, packet("2001:db8::9", "fd00::1")), Verdict.Pass);
});

Deno.test("packet filter: link-local and unspecified IPv6 sources are dropped whatever the rules", () => {
  const everything = compilePacketFilter({ sources: [prefix("::/0"), prefix("0.0.0.0/0")] });
  for (const filter of [ANY_SOURCE, everything]) {
    assert.equal(verdict(filter, packet("fe80::1", "ff02::2")), Verdict.LinkLocal);
    assert.equal(verdict(filter, packet("febf:ffff::1", "fd00::1")), Verdict.LinkLocal);
    assert.equal(verdict(filter, packet("::", "ff02::16")), Verdict.LinkLocal);
    assert.equal(verdict(filter, packet("fec0::1", "fd00::1")), Verdict.Pass, "not fe80::/10");
    assert.equal(verdict(filter, packet("::1", "fd00::1")), Verdict.Pass, "not unspecified");
    assert.equal(verdict(filter, packet("169.254.1.1", "10.0.0.1")), Verdict.Pass, "IPv4 as is");
  }
});

Deno.test("packet filter: the first destination rule that holds the destination decides; allows first", () => {
  // A server with client_to_client: false: its own addresses allowed, the networks denied.
  const filter = compilePacketFilter({
    sources: [prefix("10.0.0.2/32"), prefix("fd00::2/128")],
    allowDestinations: [prefix("10.0.0.1/32"), prefix("fd00::1/128")],
    denyDestinations: [prefix("10.0.0.0/24"), prefix("192.168.20.0/24"), prefix("fd00::/64")],
  });
  assert.equal(verdict(filter, packet("10.0.0.2", "10.0.0.1")), Verdict.Pass);
  assert.equal(verdict(filter, packet("10.0.0.2", "10.0.0.3")), Verdict.Destination);
  assert.equal(verdict(filter, packet("10.0.0.2", "192.168.20.5")), Verdict.Destination);
  assert.equal(verdict(filter, packet("10.0.0.2", "192.168.30.5")), Verdict.Pass, "no rule");
  assert.equal(verdict(filter, packet("fd00::2", "fd00::1")), Verdict.Pass);
  assert.equal(verdict(filter, packet("fd00::2", "fd00::3")), Verdict.Destination);
  assert.equal(verdict(filter, packet("10.0.0.9", "10.0.0.1")), Verdict.Spoofed, "source first");
});

Deno.test("packet filter: what is not an IPv4 or IPv6 header is malformed", () => {
  const filter = compilePacketFilter({ sources: [prefix("10.0.0.2/32")] });
  for (const f of [ANY_SOURCE, filter]) {
    assert.equal(verdict(f, new Uint8Array(0)), Verdict.Malformed);
    assert.equal(verdict(f, packet("10.0.0.2", "10.0.0.1").subarray(0, 19)), Verdict.Malformed);
    assert.equal(verdict(f, packet("fd00::2", "fd00::1").subarray(0, 39)), Verdict.Malformed);
    assert.equal(verdict(f, Uint8Array.of(0x50, ...new Uint8Array(40))), Verdict.Malformed);
  }
});

Deno.test("packet filter: native/filter.c decides as packet_filter.ts for any rules and packets", () => {
  // Addresses from a small pool, so that rules and packets meet often.
  const v4 = fc.constantFrom(
    [10, 0, 0, 1],
    [10, 0, 0, 2],
    [10, 0, 1, 7],
    [192, 168, 0, 9],
    [0, 0, 0, 0],
    [255, 255, 255, 255],
  ).map((bytes) => Uint8Array.from(bytes));
  const v6 = fc.oneof(
    fc.constantFrom("fd00::1", "fd00::2", "fd00:0:0:1::5", "fe80::1", "::", "2001:db8::1")
      .map((text) => parseAddress(text)!),
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
  );
  const rule = fc.oneof(
    fc.record({ bytes: v4, length: fc.integer({ min: 0, max: 32 }) })
      .map(({ bytes, length }): IpPrefix => ({ family: 4, bytes, length })),
    fc.record({ bytes: v6, length: fc.integer({ min: 0, max: 128 }) })
      .map(({ bytes, length }): IpPrefix => ({ family: 6, bytes, length })),
  );
  const ipPacket = fc.oneof(
    fc.record({ s: v4, d: v4 }).map(({ s, d }) => {
      const p = new Uint8Array(20);
      p[0] = 0x45;
      p.set(s, 12);
      p.set(d, 16);
      return p;
    }),
    fc.record({ s: v6, d: v6 }).map(({ s, d }) => {
      const p = new Uint8Array(40);
      p[0] = 0x60;
      p.set(s, 8);
      p.set(d, 24);
      return p;
    }),
    fc.uint8Array({ maxLength: 48 }),
  );
  fc.assert(
    fc.property(
      fc.array(rule, { maxLength: 4 }),
      fc.array(rule, { maxLength: 4 }),
      fc.array(rule, { maxLength: 4 }),
      fc.array(ipPacket, { minLength: 1, maxLength: 8 }),
      (sources, allowDestinations, denyDestinations, packets) => {
        const filter = compilePacketFilter({ sources, allowDestinations, denyDestinations });
        for (const p of packets) verdict(filter, p);
      },
    ),
    { numRuns: 3000 },
  );
});
