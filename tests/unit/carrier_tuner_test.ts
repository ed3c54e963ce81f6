import assert from "node:assert/strict";
import {
  IDLE_READ_CHECKS,
  QUIET_KNOWN_READ_CHECKS,
  ReadSchedule,
} from "../../src/session/carrier_tuner.ts";

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
