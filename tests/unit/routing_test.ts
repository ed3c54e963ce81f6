import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffDelay } from "../../src/client/backoff.ts";
import { formatAddress, parseIpv4 } from "../../src/ip/address.ts";
import { ipv4FromWord, ipv4ToWord } from "../../src/ip/ipv4_word.ts";
import { BufferPool } from "../../src/routing/buffer_pool.ts";

Deno.test("ipv4ToWord() and ipv4FromWord() are inverse, and the word is host order", () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
    assert.equal(ipv4ToWord(parseIpv4(formatAddress(ipv4FromWord(n)))!), n);
  }));
  assert.equal(ipv4ToWord(parseIpv4("10.0.0.1")!), 0x0a000001);
  assert.throws(() => ipv4ToWord(new Uint8Array(16)), RangeError);
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
    assert.equal(parseIpv4(bad), undefined, bad);
  }
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
