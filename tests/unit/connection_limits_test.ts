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
  // Below 200 the door's extras alone outgrow the sessions' half (next test).
  for (const fileLimit of [200, 256, 300, 1024, 1100, 4096, 65536]) {
    const fit = fitConnectionLimits(DOOR, fileLimit);
    const worst = doorDescriptors(fit.maxPending) + fit.maxSessions + RESERVED_DESCRIPTORS;
    assert.ok(worst <= fileLimit, `limit ${fileLimit}: ${worst} descriptors at worst`);
    assert.ok(fit.maxPending >= 1 && fit.maxSessions >= 1, `limit ${fileLimit}`);
  }
});

Deno.test("fitConnectionLimits() at limit 256 keeps half for places, the door's extras come from sessions", () => {
  const fit = fitConnectionLimits(DOOR, 256);
  // (256 - 64) / 2 = 96 places; sessions: 192 - (96 + a queue of 48 + 1 + 32 alerts) = 15.
  assert.equal(fit.maxPending, 96);
  assert.equal(fit.maxSessions, 15);
  assert.match(
    fit.lowered!,
    /open-file limit 256 is too low .* at most 96 pending .* and 15 sessions/,
  );
  assert.match(fit.lowered!, new RegExp(`to at least ${512 + doorDescriptors(512) + 64}$`));
});

Deno.test("fitConnectionLimits() under a limit too low for the door's extras keeps one session and says so", () => {
  const fit = fitConnectionLimits(DOOR, 100);
  assert.equal(fit.maxPending, 18);
  assert.equal(fit.maxSessions, 1);
  assert.match(fit.lowered!, /open-file limit 100 is too low/);
  const roomy = fitConnectionLimits({ ...DOOR, maxPendingConnections: 20 }, 114);
  assert.equal(roomy.maxPending, 20, "every place configured fits...");
  assert.match(roomy.lowered!, /too low/, "...but the extras leave no session: said all the same");
});

Deno.test("fitConnectionLimits() leaves the configured door alone when the limit is ample", () => {
  const fit = fitConnectionLimits(DOOR, 65536);
  assert.equal(fit.maxPending, 512);
  assert.equal(fit.lowered, undefined);
  assert.equal(fitConnectionLimits(DOOR, undefined).maxPending, 512);
});
