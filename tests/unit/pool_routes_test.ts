import assert from "node:assert/strict";
import { formatPrefix, prefix } from "../../src/ip/prefix.ts";
import {
  freshnessMetric,
  type MetricRoute,
  POOL_METRIC_BASE,
  POOL_METRIC_RANGE,
  POOL_METRIC_STEP_MS,
  PoolRoutes,
} from "../../src/server/pool_routes.ts";

const admitted = {
  addresses: [prefix("10.8.0.10/32"), prefix("fd00:8::10/128")],
  routes: [prefix("192.168.50.0/24"), prefix("fd00:50::/64")],
};

function show(routes: readonly MetricRoute[]): string[] {
  return routes.map((r) => `${formatPrefix(r.prefix)} ${r.metric}`);
}

Deno.test("freshnessMetric() is lower for a later session, bounded, and an integer", () => {
  const t = Date.UTC(2026, 11, 7, 18, 0, 0);
  const earlier = freshnessMetric(t);
  const later = freshnessMetric(t + 1500);
  assert.ok(later < earlier, `${later} < ${earlier}`);
  assert.equal(earlier - later, 1500 / POOL_METRIC_STEP_MS);
  assert.equal(freshnessMetric(t + 50), freshnessMetric(t + 99 - (t % 100)));
  for (const ms of [0, t, t + 123_456_789, 2 ** 52, -5]) {
    const m = freshnessMetric(ms);
    assert.ok(Number.isInteger(m));
    assert.ok(m >= POOL_METRIC_BASE && m < POOL_METRIC_BASE + POOL_METRIC_RANGE, `${m}`);
    assert.ok(m <= 0xffff_ffff);
  }
});

Deno.test("freshnessMetric() wraps once per range: the first tick after is the highest again", () => {
  const wrap = POOL_METRIC_RANGE * POOL_METRIC_STEP_MS;
  assert.equal(freshnessMetric(wrap - POOL_METRIC_STEP_MS), POOL_METRIC_BASE);
  assert.equal(freshnessMetric(wrap), POOL_METRIC_BASE + POOL_METRIC_RANGE - 1);
});

Deno.test("PoolRoutes alone: only the client's networks, with the kernel's default metric", () => {
  const routes = new PoolRoutes<string>();
  const changes = routes.admit("alice", "s1", admitted);
  assert.deepEqual(show(changes.install), ["192.168.50.0/24 0", "fd00:50::/64 0"]);
  assert.deepEqual(changes.uninstall, []);
  assert.deepEqual(show(routes.release("alice", "s1")), ["192.168.50.0/24 0", "fd00:50::/64 0"]);
  assert.deepEqual(routes.release("alice", "s1"), []);
});

Deno.test("PoolRoutes in a pool: host routes for the tunnel addresses too, all with the session's freshness metric", () => {
  let now = 1_000_000;
  const routes = new PoolRoutes<string>({ pool: true, now: () => now });
  const m = freshnessMetric(now);
  assert.deepEqual(show(routes.admit("alice", "s1", admitted).install), [
    `10.8.0.10/32 ${m}`,
    `fd00:8::10/128 ${m}`,
    `192.168.50.0/24 ${m}`,
    `fd00:50::/64 ${m}`,
  ]);
  now += 5000;
  const later = routes.admit("bob", "s2", { addresses: [prefix("10.8.0.11/32")], routes: [] });
  assert.ok(later.install[0]!.metric < m, "a later session has a lower metric");
});

Deno.test("PoolRoutes: a reconnect adds the routes with the new metric, then removes the old ones", () => {
  let now = 1_000_000;
  const routes = new PoolRoutes<string>({ pool: true, now: () => now });
  const old = freshnessMetric(now);
  routes.admit("alice", "s1", admitted);
  now += 2000;
  const fresh = freshnessMetric(now);
  const changes = routes.admit("alice", "s2", {
    addresses: admitted.addresses,
    routes: [prefix("192.168.50.0/24")],
  });
  assert.deepEqual(show(changes.install), [
    `10.8.0.10/32 ${fresh}`,
    `fd00:8::10/128 ${fresh}`,
    `192.168.50.0/24 ${fresh}`,
  ]);
  assert.deepEqual(show(changes.uninstall), [
    `10.8.0.10/32 ${old}`,
    `fd00:8::10/128 ${old}`,
    `192.168.50.0/24 ${old}`,
    `fd00:50::/64 ${old}`,
  ]);
  // The replaced session ends later: the name is held by s2, nothing to remove.
  assert.deepEqual(routes.release("alice", "s1"), []);
  assert.equal(routes.routesOf("alice").length, 3);
  assert.equal(routes.release("alice", "s2").length, 3);
});

Deno.test("PoolRoutes: a reconnect within one tick keeps the routes it shares with the old session", () => {
  const routes = new PoolRoutes<string>({ pool: true, now: () => 42_000 });
  routes.admit("alice", "s1", admitted);
  const changes = routes.admit("alice", "s2", admitted);
  assert.equal(changes.install.length, 4);
  assert.deepEqual(changes.uninstall, []);
});
