import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffDelay } from "../../src/client/backoff.ts";
import { formatIpv4, inSubnet, parseCidr, parseIpv4 } from "../../src/ip/ipv4.ts";
import { BufferPool } from "../../src/routing/buffer_pool.ts";

Deno.test("parseIpv4() and formatIpv4() are inverse for every address", () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
    assert.equal(parseIpv4(formatIpv4(n)), n);
  }));
});

Deno.test("parseIpv4() refuses what is not a dotted quad", () => {
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "010.0.0.1",
      "a.b.c.d",
      "1.2.3.-4",
      "10.0.0.256",
      "1.2.3.4 ",
    ]
  ) {
    assert.throws(() => parseIpv4(bad), TypeError, bad);
  }
});

Deno.test("parseCidr() and inSubnet() place addresses in their network", () => {
  const { address, prefixLength } = parseCidr("10.0.0.1/24");
  assert.equal(prefixLength, 24);
  assert.ok(inSubnet(parseIpv4("10.0.0.200"), address, 24));
  assert.ok(!inSubnet(parseIpv4("10.0.1.2"), address, 24));
  assert.throws(() => parseCidr("10.0.0.1"), TypeError);
  assert.throws(() => parseCidr("10.0.0.1/33"), TypeError);
});

Deno.test("backoffDelay() grows exponentially within its jitter and stops at the cap", () => {
  assert.equal(backoffDelay(0, { jitter: 0 }), 500);
  assert.equal(backoffDelay(3, { jitter: 0 }), 4000);
  assert.equal(backoffDelay(100, { jitter: 0 }), 30000);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 200 }),
      fc.double({ min: 0, max: 0.999, noNaN: true }),
      (attempt, r) => {
        const d = backoffDelay(attempt, {}, () => r);
        const base = Math.min(30000, 500 * 2 ** Math.min(attempt, 64));
        assert.ok(d >= base * 0.8 - 1 && d <= Math.min(30000, base * 1.2) + 1, `${attempt}: ${d}`);
      },
    ),
  );
  assert.throws(() => backoffDelay(-1), RangeError);
});

Deno.test("BufferPool.take() never waits: with every buffer lent it makes another, and keeps only `keep` for reuse", () => {
  const pool = new BufferPool(1, 16);
  const first = pool.take();
  const second = pool.take();
  assert.notEqual(first, second);
  assert.equal(second.length, 16);
  pool.give(first);
  pool.give(second);
  assert.equal(pool.available, 1, "the extra buffer is left to the garbage collector");
  assert.equal(pool.take(), first);
});
