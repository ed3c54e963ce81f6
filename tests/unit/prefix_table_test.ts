import assert from "node:assert/strict";
import fc from "fast-check";
import {
  contains,
  formatPrefix,
  hasHostBits,
  networkOf,
  overlaps,
  parsePrefix,
  prefix,
} from "../../src/ip/prefix.ts";
import { PrefixTable } from "../../src/routing/prefix_table.ts";

const bytes = (text: string) => prefix(text).bytes;

Deno.test("parsePrefix() reads both families and says what is wrong", () => {
  assert.equal(formatPrefix(prefix("10.0.0.1/24")), "10.0.0.1/24");
  assert.equal(formatPrefix(prefix("FD00:5:0::1/64")), "fd00:5::1/64");
  assert.equal(prefix("192.168.1.1").length, 32);
  assert.equal(prefix("fd00::1").length, 128);
  assert.equal(parsePrefix("10.0.0.300/24"), '"10.0.0.300" is not an IPv4 or IPv6 address');
  assert.equal(parsePrefix("10.0.0.0/33"), '"/33" is not a prefix length for IPv4 (0 to 32)');
  assert.equal(parsePrefix("fd00::/129"), '"/129" is not a prefix length for IPv6 (0 to 128)');
  assert.equal(parsePrefix("fd00::/x"), '"/x" is not a prefix length for IPv6 (0 to 128)');
});

Deno.test("networkOf(), contains(), overlaps() and hasHostBits() agree on prefixes", () => {
  assert.equal(formatPrefix(networkOf(prefix("192.168.10.77/21"))), "192.168.8.0/21");
  assert.equal(formatPrefix(networkOf(prefix("fd00:1:2:3::9/52"))), "fd00:1:2::/52");
  assert.ok(hasHostBits(prefix("10.0.0.1/24")));
  assert.ok(!hasHostBits(prefix("10.0.0.0/24")));
  assert.ok(contains(prefix("192.168.8.0/21"), bytes("192.168.15.255")));
  assert.ok(!contains(prefix("192.168.8.0/21"), bytes("192.168.16.0")));
  assert.ok(!contains(prefix("10.0.0.0/8"), bytes("fd00::1")), "another family never matches");
  assert.ok(overlaps(prefix("10.0.0.0/8"), prefix("10.1.0.0/16")));
  assert.ok(!overlaps(prefix("10.0.0.0/16"), prefix("10.1.0.0/16")));
  assert.ok(contains(prefix("0.0.0.0/0"), bytes("203.0.113.9")));
});

Deno.test("PrefixTable finds the longest matching prefix in both families", () => {
  const table = new PrefixTable<string>();
  table.set(prefix("10.0.0.2/32"), "host");
  table.set(prefix("192.168.0.0/16"), "wide");
  table.set(prefix("192.168.10.0/24"), "narrow");
  table.set(prefix("fd00:10::/64"), "v6 lan");
  table.set(prefix("fd00:10::7/128"), "v6 host");
  assert.equal(table.lookup(bytes("10.0.0.2")), "host");
  assert.equal(table.lookup(bytes("10.0.0.3")), undefined);
  assert.equal(table.lookup(bytes("192.168.10.9")), "narrow");
  assert.equal(table.lookup(bytes("192.168.11.9")), "wide");
  assert.equal(table.lookup(bytes("fd00:10::7")), "v6 host");
  assert.equal(table.lookup(bytes("fd00:10::8")), "v6 lan");
  assert.equal(table.lookup(bytes("fd00:11::8")), undefined);
  // lookup6 reads the address in place, as the data path does from a packet.
  const packet = new Uint8Array(40);
  packet.set(bytes("fd00:10::7"), 24);
  assert.equal(table.lookup6(packet, 24), "v6 host");
  assert.equal(table.size, 5);
});

Deno.test("PrefixTable.delete() leaves a prefix that a newer owner took over", () => {
  const table = new PrefixTable<string>();
  table.set(prefix("192.168.10.0/24"), "old");
  table.set(prefix("192.168.10.0/24"), "new");
  assert.equal(table.size, 1);
  assert.ok(!table.delete(prefix("192.168.10.0/24"), "old"));
  assert.equal(table.lookup(bytes("192.168.10.1")), "new");
  assert.ok(table.delete(prefix("192.168.10.0/24"), "new"));
  assert.equal(table.lookup(bytes("192.168.10.1")), undefined);
  assert.equal(table.size, 0);
});

Deno.test("PrefixTable matches a linear longest-prefix search for random routes", () => {
  const route = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }));
  fc.assert(
    fc.property(
      fc.array(route, { maxLength: 30 }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 20 }),
      (routes, probes) => {
        const table = new PrefixTable<number>();
        const list = routes.map(([address, length], i) => {
          const p = networkOf({
            family: 4,
            bytes: Uint8Array.of(
              address >>> 24,
              address >>> 16 & 255,
              address >>> 8 & 255,
              address & 255,
            ),
            length,
          });
          table.set(p, i);
          return { p, i };
        });
        for (const probe of probes) {
          const b = Uint8Array.of(probe >>> 24, probe >>> 16 & 255, probe >>> 8 & 255, probe & 255);
          let best: { p: typeof list[number]["p"]; i: number } | undefined;
          for (const entry of list) {
            if (!contains(entry.p, b)) continue;
            // A later set of the same prefix wins, as in the table.
            if (!best || entry.p.length > best.p.length || entry.p.length === best.p.length) {
              if (!best || entry.p.length >= best.p.length) {
                best = entry;
              }
            }
          }
          assert.equal(table.lookup4(probe), best?.i);
        }
      },
    ),
  );
});
