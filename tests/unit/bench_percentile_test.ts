import assert from "node:assert/strict";
import { percentile, summarizeLatency } from "../../tools/bench/percentile.ts";

Deno.test("percentile() interpolates between the two closest ranks", () => {
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile([10, 20], 25), 12.5);
  assert.ok(Math.abs(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99) - 9.91) < 1e-9);
});

Deno.test("percentile() returns the extremes at 0 and 100 and the value of a single sample", () => {
  assert.equal(percentile([5, 1, 9], 0), 1);
  assert.equal(percentile([5, 1, 9], 100), 9);
  assert.equal(percentile([0.42], 99), 0.42);
});

Deno.test("percentile() does not depend on the order of samples and leaves them unsorted", () => {
  const samples = [3, 1, 2];
  assert.equal(percentile(samples, 50), 2);
  assert.deepEqual(samples, [3, 1, 2]);
});

Deno.test("percentile() is NaN without samples", () => {
  assert.ok(Number.isNaN(percentile([], 50)));
});

Deno.test("percentile() refuses a percentile outside 0..100 and non-finite samples", () => {
  assert.throws(() => percentile([1], 101), RangeError);
  assert.throws(() => percentile([1], -1), RangeError);
  assert.throws(() => percentile([1], NaN), RangeError);
  assert.throws(() => percentile([1, NaN], 50), TypeError);
});

Deno.test("summarizeLatency() gives count, median and p99 of the samples", () => {
  const samples = Array.from({ length: 100 }, (_, i) => i + 1);
  const summary = summarizeLatency(samples);
  assert.equal(summary.count, 100);
  assert.equal(summary.medianMs, 50.5);
  assert.ok(Math.abs(summary.p99Ms - 99.01) < 1e-9);
});

Deno.test("summarizeLatency() of no replies has NaN median and p99", () => {
  const summary = summarizeLatency([]);
  assert.equal(summary.count, 0);
  assert.ok(Number.isNaN(summary.medianMs) && Number.isNaN(summary.p99Ms));
});
