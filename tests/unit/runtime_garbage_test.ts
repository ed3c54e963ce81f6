import assert from "node:assert/strict";
import { GARBAGE_BUDGET, ReceivedGarbage } from "../../src/runtime/garbage.ts";

Deno.test("ReceivedGarbage runs one minor collection per budget of received bytes", () => {
  const calls: unknown[] = [];
  const garbage = new ReceivedGarbage((options) => calls.push(options));
  for (let i = 0; i < 10; i++) garbage.note(GARBAGE_BUDGET / 4);
  assert.deepEqual(calls, [{ type: "minor" }, { type: "minor" }]);
});
