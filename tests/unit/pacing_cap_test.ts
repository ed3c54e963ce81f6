import assert from "node:assert/strict";
import {
  CUT_FACTOR,
  CUT_HOLD_MS,
  GIVE_UP_MS,
  GROW_FACTOR,
  PacingCap,
  type PacingSample,
  PEAK_WINDOW_MS,
  RELEASE_AFTER_MS,
} from "../../src/session/pacing_cap.ts";

const M = 1e6;
const sample = (queueMs: number, rateMbit: number, backlogged = true): PacingSample => ({
  srttMs: 40 + queueMs,
  minRttMs: 40,
  deliveryRateBps: rateMbit * M,
  backlogged,
});

Deno.test("PacingCap cuts below the delivery rate while the bottleneck's queue is long, then grows and lets go", () => {
  const cap = new PacingCap();
  assert.equal(cap.step(sample(2, 100), 0), undefined, "a short queue: no cap");
  assert.equal(cap.step(sample(20, 100), 100), CUT_FACTOR * 100 * M, "a long queue: cut");
  assert.equal(cap.step(sample(20, 92), 200), undefined, "held while the queue drains");
  assert.equal(cap.step(sample(20, 92), 100 + CUT_HOLD_MS), CUT_FACTOR * 92 * M);
  let at = 1000;
  let value = cap.capBps;
  assert.equal(cap.step(sample(1, 85), at), value * GROW_FACTOR, "a short queue: grow");
  for (let i = 0; i < 100 && cap.capBps > 0; i++) cap.step(sample(1, 95), at += 100);
  assert.equal(cap.capBps, 0, "well above the delivery rate, the cap goes");
  value = cap.capBps;
});

Deno.test("PacingCap never cuts below half the peak rate, nor when the carrier is not backlogged or the path is a LAN", () => {
  const cap = new PacingCap();
  cap.step(sample(0, 100), 0);
  let at = 0;
  for (let i = 0; i < 5; i++) cap.step(sample(30, 10), at += CUT_HOLD_MS);
  assert.equal(cap.capBps, 50 * M, "others keep the queue full: at most half the rate is given up");
  const idle = new PacingCap();
  assert.equal(idle.step(sample(30, 100, false), 0), undefined, "not backlogged: not ours");
  const startup = { ...sample(30, 100, false), pacingRateBps: 289 * M };
  assert.equal(idle.step(startup, 100), CUT_FACTOR * (100 * M), "in its startup: the flows' queue");
  const lan = new PacingCap();
  const veth = { srttMs: 12, minRttMs: 0.05, deliveryRateBps: 5e9, backlogged: true };
  assert.equal(lan.step(veth, 0), undefined, "a sub-millisecond path: left alone");
});

Deno.test("PacingCap gives up on a queue its cuts do not drain, and stays off for a while", () => {
  const cap = new PacingCap();
  cap.step(sample(0, 100), 0);
  let at = 0;
  const changes: number[] = [];
  while (cap.capBps > 0 || changes.length === 0) {
    const next = cap.step(sample(30, 60), at += 100);
    if (next !== undefined) changes.push(next);
    assert.ok(at <= GIVE_UP_MS + 2 * CUT_HOLD_MS, "gave up within GIVE_UP_MS (and a hold)");
  }
  assert.ok(changes.slice(0, -1).every((value) => value >= 50 * M), "never below half the peak");
  const quiet = at;
  while (at < quiet + PEAK_WINDOW_MS - 200) {
    assert.equal(cap.step(sample(30, 60), at += 100), undefined, "no cut while quiet");
  }
  at = quiet + PEAK_WINDOW_MS + 100;
  assert.equal(cap.step(sample(30, 60), at), CUT_FACTOR * (60 * M), "cuts again afterwards");
});

Deno.test("PacingCap does not count a delayed ACK's wait at a low rate as queue, and lets a cap the rate follows go", () => {
  // A session's start: round trips that include the handshake, a few hundred kbit/s.
  const start = new PacingCap();
  const slow = { srttMs: 55, minRttMs: 40, deliveryRateBps: 0.768 * M, backlogged: true };
  assert.equal(start.step(slow, 0), undefined, "two segments at 768 kbit/s take 31 ms: no queue");
  // A cap that set the rate itself: the rate follows it, the queue stays short.
  const cap = new PacingCap();
  cap.step(sample(0, 10), 0);
  let at = 0;
  assert.equal(cap.step(sample(20, 10), at += 100), CUT_FACTOR * (10 * M));
  let released = false;
  while (at < 100 + RELEASE_AFTER_MS + 200 && !released) {
    cap.step(sample(1, cap.capBps / M), at += 100);
    released = cap.capBps === 0;
  }
  assert.ok(released, "a short queue for RELEASE_AFTER_MS: no cap");
});
