import assert from "node:assert/strict";
import { CoDel } from "../../src/session/codel.ts";

Deno.test("CoDel leaves a burst that drains within an interval alone", () => {
  const codel = new CoDel({ targetMs: 5, intervalMs: 100 });
  for (let now = 0; now < 90; now += 1) {
    assert.equal(codel.shouldDrop(now, 50, 100_000, 1500), false, `at ${now} ms`);
  }
  codel.idle();
  assert.equal(codel.shouldDrop(95, 50, 100_000, 1500), false, "the clock starts afresh");
});

Deno.test("CoDel drops once the queue has stood above target for an interval, then ever faster", () => {
  const codel = new CoDel({ targetMs: 5, intervalMs: 100 });
  const drops: number[] = [];
  for (let now = 0; now <= 1000; now += 1) {
    if (codel.shouldDrop(now, 20, 100_000, 1500)) drops.push(now);
  }
  assert.equal(drops[0], 100, "the first drop one interval after the queue stood");
  assert.ok(drops.length >= 10, `${drops.length} drops`);
  const gaps = drops.slice(1).map((t, i) => t - drops[i]!);
  assert.ok(gaps.at(-1)! < gaps[0]!, `gaps shrink: ${gaps.join(",")}`);
  assert.equal(codel.dropping, true);
  assert.equal(codel.shouldDrop(1001, 2, 100_000, 1500), false, "below target: stops dropping");
  assert.equal(codel.dropping, false);
});

Deno.test("CoDel never drops the only packet queued", () => {
  const codel = new CoDel({ targetMs: 5, intervalMs: 100 });
  for (let now = 0; now < 500; now++) assert.equal(codel.shouldDrop(now, 50, 1500, 1500), false);
});
