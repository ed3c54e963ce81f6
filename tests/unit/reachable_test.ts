/** src/server/reachable.ts: what a client may reach, decided by both filter implementations. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseAddress } from "../../src/ip/address.ts";
import { type IpPrefix, prefix } from "../../src/ip/prefix.ts";
import { type ReachableInputs, reachableRules } from "../../src/server/reachable.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import {
  compilePacketFilter,
  type PacketFilter,
  packetVerdict,
  Verdict,
} from "../../src/ip/packet_filter.ts";

const lib = loadNativeLibrary();

function packet(source: Uint8Array, destination: Uint8Array): Uint8Array {
  const v4 = source.length === 4;
  const p = new Uint8Array(v4 ? 20 : 40);
  p[0] = v4 ? 0x45 : 0x60;
  p.set(source, v4 ? 12 : 8);
  p.set(destination, v4 ? 16 : 24);
  return p;
}

/** The verdict of both implementations, after checking they agree. */
function verdict(filter: PacketFilter, bytes: Uint8Array): number {
  const ours = packetVerdict(filter, bytes);
  const native = lib.symbols.sss_packet_verdict(
    filter.bytes,
    filter.bytes.length,
    bytes,
    bytes.length,
  );
  assert.equal(native, ours, "native/filter.c and packet_filter.ts agree");
  return ours;
}

const SERVER: ReachableInputs = {
  tunnels: [prefix("10.0.0.1/24"), prefix("fd00::1/64")],
  pushRoutes: [prefix("192.168.1.0/24")],
  registryRoutes: [prefix("192.168.2.0/24")],
  clientToClient: false,
};

/** Whether the client 10.0.0.2 / fd00::2 may reach each destination under `inputs`. */
function reaches(
  inputs: ReachableInputs,
  destinations: readonly string[],
): Record<string, boolean> {
  const filter = compilePacketFilter({
    sources: [prefix("10.0.0.2/32"), prefix("fd00::2/128")],
    destinations: reachableRules(inputs),
  });
  return Object.fromEntries(destinations.map((d) => {
    const to = parseAddress(d)!;
    const from = parseAddress(to.length === 4 ? "10.0.0.2" : "fd00::2")!;
    const v = verdict(filter, packet(from, to));
    assert.ok(v === Verdict.Pass || v === Verdict.Destination, `${d}: verdict ${v}`);
    return [d, v === Verdict.Pass];
  }));
}

Deno.test("reachableRules lets a client reach the server's tunnel addresses and pushed networks, and nothing else by default", () => {
  assert.deepEqual(
    reaches(SERVER, [
      "10.0.0.1",
      "fd00::1",
      "192.168.1.20",
      "192.168.1.255",
      "10.0.0.3",
      "10.0.0.255",
      "192.168.2.5",
      "203.0.113.1",
      "198.51.100.7",
      "255.255.255.255",
      "224.0.0.251",
      "169.254.169.254",
      "fd00::3",
      "ff02::1",
      "fe80::1",
      "2001:db8::1",
    ]),
    {
      "10.0.0.1": true,
      "fd00::1": true,
      "192.168.1.20": true,
      "192.168.1.255": false,
      "10.0.0.3": false,
      "10.0.0.255": false,
      "192.168.2.5": false,
      "203.0.113.1": false,
      "198.51.100.7": false,
      "255.255.255.255": false,
      "224.0.0.251": false,
      "169.254.169.254": false,
      "fd00::3": false,
      "ff02::1": false,
      "fe80::1": false,
      "2001:db8::1": false,
    },
  );
});

Deno.test("reachableRules opens what reachable: lists, but never another client's addresses or networks", () => {
  const opened = reaches({
    ...SERVER,
    reachable: [prefix("203.0.113.1/32"), prefix("10.0.0.0/8"), prefix("169.254.169.254/32")],
  }, ["203.0.113.1", "203.0.113.2", "10.9.9.9", "10.0.0.3", "192.168.2.5", "169.254.169.254"]);
  assert.deepEqual(opened, {
    "203.0.113.1": true,
    "203.0.113.2": false,
    "10.9.9.9": true,
    "10.0.0.3": false,
    "192.168.2.5": false,
    "169.254.169.254": true,
  });
});

Deno.test("reachableRules keeps clients apart inside a pushed network that holds their networks", () => {
  const wide = { ...SERVER, pushRoutes: [prefix("192.168.0.0/16")] };
  assert.deepEqual(reaches(wide, ["192.168.2.5", "192.168.3.1", "192.168.255.255"]), {
    "192.168.2.5": false,
    "192.168.3.1": true,
    "192.168.255.255": false,
  });
});

Deno.test("reachableRules with client_to_client lets clients reach each other, still not the server's other addresses", () => {
  assert.deepEqual(
    reaches({ ...SERVER, clientToClient: true }, [
      "10.0.0.3",
      "fd00::3",
      "192.168.2.5",
      "10.0.0.255",
      "203.0.113.1",
    ]),
    {
      "10.0.0.3": true,
      "fd00::3": true,
      "192.168.2.5": true,
      "10.0.0.255": false,
      "203.0.113.1": false,
    },
  );
});

Deno.test("packet filter: native/filter.c decides as packet_filter.ts for ordered allow and deny rules", () => {
  const v4 = fc.constantFrom([10, 0, 0, 1], [10, 0, 0, 2], [192, 168, 1, 9], [255, 255, 255, 255])
    .map((bytes) => Uint8Array.from(bytes));
  const v6 = fc.constantFrom("fd00::1", "fd00::2", "ff02::1", "2001:db8::1")
    .map((text) => parseAddress(text)!);
  const rulePrefix = fc.oneof(
    fc.record({ bytes: v4, length: fc.integer({ min: 0, max: 32 }) })
      .map(({ bytes, length }): IpPrefix => ({ family: 4, bytes, length })),
    fc.record({ bytes: v6, length: fc.integer({ min: 0, max: 128 }) })
      .map(({ bytes, length }): IpPrefix => ({ family: 6, bytes, length })),
  );
  const rule = fc.record({ allow: fc.boolean(), prefix: rulePrefix });
  const ipPacket = fc.oneof(
    fc.record({ s: v4, d: v4 }).map(({ s, d }) => packet(s, d)),
    fc.record({ s: v6, d: v6 }).map(({ s, d }) => packet(s, d)),
  );
  fc.assert(
    fc.property(
      fc.array(rulePrefix, { maxLength: 2 }),
      fc.array(rule, { maxLength: 8 }),
      fc.array(ipPacket, { minLength: 1, maxLength: 8 }),
      (sources, destinations, packets) => {
        const filter = compilePacketFilter({ sources, destinations });
        for (const p of packets) verdict(filter, p);
      },
    ),
    { numRuns: 3000 },
  );
});
