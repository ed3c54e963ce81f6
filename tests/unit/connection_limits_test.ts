import assert from "node:assert/strict";
import { fitConnectionLimits, RESERVED_DESCRIPTORS } from "../../src/server/connection_limits.ts";
import { acceptBacklog, doorDescriptors } from "../../src/transport/listener.ts";

const DOOR = { maxPendingConnections: 512, maxPendingPerSource: 8 };

Deno.test("doorDescriptors(): the places, one burst of the whole accept queue, the cap alerts", () => {
  assert.equal(acceptBacklog(512), 256);
  assert.equal(doorDescriptors(512), 512 + 256 + 1 + 32);
  assert.equal(acceptBacklog(10), 16, "never below 16");
  assert.equal(acceptBacklog(4000), 511, "never above node's default");
});

Deno.test("fitConnectionLimits() keeps the door's worst case and the sessions under the file limit", () => {
  // Below 2 * doorDescriptors(1) + 64 = 164 even one place cannot be fitted (next test).
  for (const fileLimit of [164, 256, 300, 1024, 1100, 4096, 65536]) {
    const fit = fitConnectionLimits(DOOR, fileLimit);
    const worst = doorDescriptors(fit.maxPending) + fit.maxSessions + RESERVED_DESCRIPTORS;
    assert.ok(worst <= fileLimit, `limit ${fileLimit}: ${worst} descriptors at worst`);
    assert.ok(fit.maxPending >= 1 && fit.maxSessions >= 1, `limit ${fileLimit}`);
  }
});

Deno.test("fitConnectionLimits() at limit 256 lowers the door and says to what, and what to raise", () => {
  const fit = fitConnectionLimits(DOOR, 256);
  // (256 - 64) / 2 = 96 for the door: 42 places + a queue of 21 + 1 + 32 alerts.
  assert.equal(fit.maxPending, 42);
  assert.equal(fit.maxSessions, 96);
  assert.match(fit.lowered!, /open-file limit 256 is too low .* at most 42 pending/);
  assert.match(fit.lowered!, new RegExp(`to at least ${2 * doorDescriptors(512) + 64}$`));
});

Deno.test("fitConnectionLimits() under a limit too low for any door keeps one place and says so", () => {
  const fit = fitConnectionLimits(DOOR, 100);
  assert.equal(fit.maxPending, 1);
  assert.ok(fit.maxSessions >= 1);
  assert.match(fit.lowered!, /open-file limit 100 is too low/);
});

Deno.test("fitConnectionLimits() leaves the configured door alone when the limit is ample", () => {
  const fit = fitConnectionLimits(DOOR, 65536);
  assert.equal(fit.maxPending, 512);
  assert.equal(fit.lowered, undefined);
  assert.equal(fitConnectionLimits(DOOR, undefined).maxPending, 512);
});
