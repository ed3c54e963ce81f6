import assert from "node:assert/strict";
import { keepaliveStep, keepaliveTickMs } from "../../src/session/keepalive.ts";

const options = { intervalMs: 10_000, timeoutMs: 35_000 };

Deno.test("keepaliveStep pings once an interval has passed, and gives up a silent or stuck peer", () => {
  const seen = { stalledMs: 0, lastReceived: 0, lastPing: 0 };
  assert.equal(keepaliveStep(9_999, seen, options), undefined);
  assert.equal(keepaliveStep(10_000, seen, options), "ping");
  assert.deepEqual(keepaliveStep(35_001, seen, options), { close: "nothing received for 35 s" });
  assert.deepEqual(keepaliveStep(1, { ...seen, stalledMs: 36_000 }, options), {
    close: "the peer has read nothing for 36 s",
  });
  assert.equal(keepaliveTickMs(options), 2_500);
  assert.equal(keepaliveTickMs({ intervalMs: 20, timeoutMs: 30 }), 10);
});
