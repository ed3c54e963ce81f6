import assert from "node:assert/strict";
import {
  CARRIER_TICK_MS,
  IDLE_TICKS,
  QUIET_KNOWN_IDLE_TICKS,
  ReadCadence,
} from "../../src/session/carrier_tuner.ts";
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

Deno.test("ReadCadence reads at the tick after activity, else every idleTicks ticks", () => {
  const cadence = new ReadCadence(0, QUIET_KNOWN_IDLE_TICKS);
  const quiet = Array.from({ length: QUIET_KNOWN_IDLE_TICKS - 1 }, () => cadence.due(0));
  assert.ok(quiet.every((due) => !due), "no read while quiet");
  assert.equal(cadence.due(0), true, "the idle read");
  assert.equal(cadence.due(0), false);
  assert.equal(cadence.due(88), true, "bytes moved: read at once");
  assert.equal(cadence.due(88), false);
  // Busy: every tick.
  assert.deepEqual([1, 2, 3].map((n) => cadence.due(88 + n)), [true, true, true]);
  const client = new ReadCadence(5, IDLE_TICKS);
  const second = Array.from({ length: IDLE_TICKS }, () => client.due(5));
  assert.equal(second.indexOf(true), IDLE_TICKS - 1, "a client still reads once a second");
});
