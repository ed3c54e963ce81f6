import assert from "node:assert/strict";
import { TokenBucket } from "../../src/session/token_bucket.ts";

Deno.test("TokenBucket allows its burst at once, then refills at its rate", () => {
  const bucket = new TokenBucket(3, 2);
  assert.deepEqual([0, 0, 0, 0].map((t) => bucket.take(t)), [true, true, true, false]);
  assert.equal(bucket.take(400), false, "0.8 tokens after 400 ms");
  assert.equal(bucket.take(600), true, "one token after 500 ms in all");
  assert.equal(bucket.take(100_000), true);
  assert.equal(bucket.take(100_000), true);
  assert.equal(bucket.take(100_000), true, "refills no further than the burst");
  assert.equal(bucket.take(100_000), false);
});
