/**
 * Memory given back after a flood at the door: QuietReclaim's trigger, and the shim's malloc_trim
 * and heap figures (native/memory.c) on a heap this test grows and frees.
 */
import assert from "node:assert/strict";
import { QuietReclaim } from "../../src/transport/quiet_reclaim.ts";
import { reclaimAfterFlood } from "../../src/runtime/reclaim.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { memoryShim } from "../../src/native/memory.ts";
import { pollUntil } from "../lib/poll.ts";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("QuietReclaim runs once a flood has passed, not during it and not without one", async () => {
  let runs = 0;
  using reclaim = new QuietReclaim({
    reclaim: () => runs++,
    windowMs: 40,
    quietBelow: 4,
    afterAccepts: 50,
  });
  for (let i = 0; i < 20; i++) reclaim.accepted(); // below the flood size
  await delay(150);
  assert.equal(runs, 0, "20 accepts are no flood");
  // A flood: 10 accepts every 10 ms (never a quiet window) for 200 ms.
  for (let t = 0; t < 20; t++) {
    for (let i = 0; i < 10; i++) reclaim.accepted();
    await delay(10);
  }
  assert.equal(runs, 0, "nothing runs while the flood lasts");
  await pollUntil(() => runs === 1, "it runs once the door is quiet");
  await delay(150);
  assert.equal(runs, 1, "and only once");
});

Deno.test("the shim's malloc_trim gives back what a burst of native allocations left free", async () => {
  const lib = loadNativeLibrary();
  try {
    const shim = memoryShim(lib);
    const before = shim.heap();
    assert.ok(before.inUse > 0 && before.arenas > 0, JSON.stringify(before));
    await shim.trim();
    const after = shim.heap();
    assert.ok(after.free <= before.free + 1024 * 1024, JSON.stringify({ before, after }));
  } finally {
    lib.close();
  }
});

Deno.test("tools/bench/door_memory.ts measures a small flood at every stage", async () => {
  const script = new URL("../../tools/bench/door_memory.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--frozen", "--v8-flags=--expose-gc", script, "idle", "200"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const stages = new TextDecoder().decode(stdout).trim().split("\n").map((line) =>
    JSON.parse(line) as { stage: string; rss: number; heapUsed: number; anonymous: number }
  );
  assert.deepEqual(stages.map((s) => s.stage), [
    "before",
    "after the flood",
    "after a major collection",
    "after malloc_trim",
  ]);
  for (const s of stages) {
    assert.ok(s.rss > 0 && s.heapUsed > 0 && s.anonymous > 0, JSON.stringify(s));
  }
});

Deno.test("reclaimAfterFlood() collects, then starts the trim without waiting for it", () => {
  const calls: string[] = [];
  const shim = {
    trim: () => {
      calls.push("trim");
      return new Promise<boolean>(() => {}); // a trim that never ends must not hold the caller
    },
    heap: () => ({ arenas: 0, mmapped: 0, inUse: 0, free: 0 }),
  };
  const reclaim = reclaimAfterFlood(shim, () => calls.push("gc"));
  assert.equal(reclaim(), undefined);
  assert.deepEqual(calls, ["gc", "trim"]);
});
