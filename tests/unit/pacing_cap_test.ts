import assert from "node:assert/strict";
import {
  CUT_FACTOR,
  CUT_HOLD_MS,
  GROW_FACTOR,
  PacingCap,
  type PacingSample,
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
  for (let i = 0; i < 50; i++) cap.step(sample(30, 10), at += CUT_HOLD_MS);
  assert.equal(cap.capBps, 50 * M, "others keep the queue full: at most half the rate is given up");
  const idle = new PacingCap();
  assert.equal(idle.step(sample(30, 100, false), 0), undefined, "not backlogged: not ours");
  const lan = new PacingCap();
  const veth = { srttMs: 12, minRttMs: 0.05, deliveryRateBps: 5e9, backlogged: true };
  assert.equal(lan.step(veth, 0), undefined, "a sub-millisecond path: left alone");
});
