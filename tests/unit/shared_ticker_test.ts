import assert from "node:assert/strict";
import { CARRIER_TICK_MS } from "../../src/session/carrier_tuner.ts";
import { SharedTicker, sharedTicker } from "../../src/session/shared_ticker.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("SharedTicker calls every step each tick on one interval, and stops with the last", async () => {
  const ticker = new SharedTicker(CARRIER_TICK_MS);
  const calls = [0, 0, 0];
  const stops = calls.map((_, i) => ticker.add(() => calls[i]!++));
  await pause(CARRIER_TICK_MS * 3.5);
  for (const count of calls) assert.ok(count >= 2 && count <= 4, `${calls}`);
  // Removing one leaves the others ticking.
  stops[0]!();
  const [first, second] = [calls[0]!, calls[1]!];
  await pause(CARRIER_TICK_MS * 2.5);
  assert.equal(calls[0], first);
  assert.ok(calls[1]! > second);
  // The last one stops the interval: --trace-leaks fails the test otherwise.
  stops[1]!();
  stops[2]!();
  stops[2]!(); // twice is harmless
  const after = calls[1]!;
  await pause(CARRIER_TICK_MS * 2);
  assert.equal(calls[1], after);
});

Deno.test("sharedTicker gives one ticker per period", () => {
  assert.equal(sharedTicker(2_500), sharedTicker(2_500));
  assert.notEqual(sharedTicker(2_500), sharedTicker(100));
  assert.equal(sharedTicker(100).periodMs, 100);
});
