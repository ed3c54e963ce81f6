import assert from "node:assert/strict";
import { RepeatSummary } from "../../src/log/repeat_summary.ts";

Deno.test("RepeatSummary logs the first occurrence per key and window, and counts the rest", () => {
  let now = 0;
  const summary = new RepeatSummary({ windowMs: 60_000 }, () => now);
  assert.equal(summary.note("refused|192.0.2.2"), true);
  for (let i = 0; i < 811; i++) assert.equal(summary.note("refused|192.0.2.2"), false);
  assert.equal(summary.note("refused|192.0.2.3"), true);
  assert.equal(summary.due(), false);
  now = 60_000;
  assert.equal(summary.due(), true);
  assert.deepEqual(summary.flush(), [{ key: "refused|192.0.2.2", count: 811, keys: 1 }]);
  assert.equal(summary.note("refused|192.0.2.2"), true, "a new window logs again");
});

Deno.test("RepeatSummary bounds its memory and its lines when a flood comes from many addresses", () => {
  const summary = new RepeatSummary({ maxKeys: 100, fullLinesPerWindow: 5, maxSummaryLines: 4 });
  let full = 0;
  for (let i = 0; i < 10_000; i++) if (summary.note(`refused|10.${i >> 8}.${i & 255}.1`)) full++;
  assert.equal(full, 5, "only the first five lines are logged in full");
  const lines = summary.flush();
  assert.ok(lines.length <= 4, `${lines.length} summary lines`);
  const total = lines.reduce((sum, line) => sum + line.count, 0);
  assert.equal(total, 10_000 - 5, "every other occurrence is counted");
  const folded = lines.at(-1)!;
  assert.equal(folded.key, undefined, "the rest are folded into one line");
});
