import assert from "node:assert/strict";
import {
  CARRIER_TICK_MS,
  IDLE_READ_CHECKS,
  QUIET_KNOWN_READ_CHECKS,
  ReadSchedule,
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

Deno.test("ReadSchedule: busy from the first send, read every tick while sending, idle after", () => {
  const schedule = new ReadSchedule(0, 0, QUIET_KNOWN_READ_CHECKS);
  assert.equal(schedule.busy, false);
  assert.equal(schedule.touch(), true, "the first send starts the busy ticks");
  assert.equal(schedule.touch(), false, "once");
  assert.equal(schedule.idleCheck(500, 0), false, "a busy session is read by its busy ticks");
  assert.equal(schedule.busyTick(1_000), "read");
  assert.equal(schedule.busyTick(2_000), "read");
  assert.equal(schedule.busyTick(2_000), "idle", "a tick with nothing sent ends the busy ticks");
  assert.equal(schedule.busy, false);
  assert.equal(schedule.touch(), true, "and the next send starts them again");
});

Deno.test("ReadSchedule: an idle session is read when its counts move, else every readChecks checks", () => {
  const server = new ReadSchedule(0, 100, QUIET_KNOWN_READ_CHECKS);
  const quiet = Array.from({ length: QUIET_KNOWN_READ_CHECKS - 1 }, () => server.idleCheck(0, 100));
  assert.ok(quiet.every((due) => !due), "no read while quiet");
  assert.equal(server.idleCheck(0, 100), true, "the idle read, every 10 s");
  assert.equal(server.idleCheck(0, 100), false);
  assert.equal(server.idleCheck(0, 188), true, "bytes arrived (a Ping, or a flood): read at once");
  assert.equal(server.idleCheck(40, 188), true, "bytes sent: read");
  // Where received bytes are not known (a client): once a second.
  const client = new ReadSchedule(5, undefined, IDLE_READ_CHECKS);
  assert.deepEqual([1, 2, 3].map(() => client.idleCheck(5, undefined)), [true, true, true]);
});
