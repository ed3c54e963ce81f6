import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import type { FleetReport } from "../../tools/bench/fleet.ts";
import { fleetSettings } from "../../tools/bench/fleet.ts";
import { formatFleetReport, poolComparisons } from "../../tools/bench/fleet_table.ts";
import { fleetClientYaml, fleetServerYaml } from "../../tools/lab/fleet_configs.ts";
import {
  POOL_PEER_INTERFACE,
  POOL_PEER_UNDERLAY,
  poolLoadHost,
  poolMemberOf,
  poolPeerTunnelIp,
  poolServerList,
  poolSpread,
  poolTargetTunnelIp,
} from "../../tools/lab/fleet_pool_plan.ts";

Deno.test("the pool plan spreads any first n clients half and half, each preferring its own server", () => {
  assert.equal(POOL_PEER_UNDERLAY, "198.18.255.254");
  assert.equal(poolPeerTunnelIp(16), "10.0.255.254");
  assert.equal(poolPeerTunnelIp(24), "10.0.0.254");
  assert.deepEqual([1, 2, 3, 4].map(poolMemberOf), ["a", "b", "a", "b"]);
  assert.deepEqual(poolServerList(1), ["198.18.0.1:443", "198.18.255.254:443"]);
  assert.deepEqual(poolServerList(2), ["198.18.255.254:443", "198.18.0.1:443"]);
  assert.equal(poolTargetTunnelIp(1, 16), "10.0.0.1");
  assert.equal(poolTargetTunnelIp(16, 16), "10.0.255.254");
  assert.deepEqual([1, 4, 16].map(poolSpread), [{ a: 1, b: 0 }, { a: 2, b: 2 }, { a: 8, b: 8 }]);
  assert.deepEqual([0, 1, 2].map(poolLoadHost), ["198.18.0.1", "198.18.255.254", "198.18.0.1"]);
  assert.throws(() => poolMemberOf(0), /start at 1/);
});

Deno.test("the pool's server and client files parse as server b in a pool and a client with a server list", () => {
  const server = parseConfig(
    fleetServerYaml({
      certDir: "/nowhere",
      logFile: "/nowhere/b.log",
      tunnelPrefix: 16,
      pool: true,
      listen: `${POOL_PEER_UNDERLAY}:443`,
      tunnelIp: poolPeerTunnelIp(16),
      interface: POOL_PEER_INTERFACE,
    }),
    "b.yaml",
  );
  assert.equal(server.mode, "server");
  assert.equal(server.mode === "server" && server.pool, true);
  assert.equal(server.interface, "tunb");
  const one = parseConfig(
    fleetServerYaml({ certDir: "/nowhere", logFile: "/nowhere/a.log", tunnelPrefix: 16 }),
    "a.yaml",
  );
  assert.equal(one.mode === "server" && one.pool, false, "the one server stays out of a pool");
  const client = parseConfig(
    fleetClientYaml({
      certDir: "/nowhere",
      name: "c2",
      tunnelIp: "10.0.0.3",
      tunnelPrefix: 16,
      logFile: "/nowhere/c2.log",
      servers: poolServerList(2),
    }),
    "c2.yaml",
  );
  assert.ok(client.mode === "client");
  assert.equal(client.servers.length, 2);
  assert.match(JSON.stringify(client.servers[0]), /198\.18\.255\.254/);
  assert.match(JSON.stringify(client.servers[1]), /198\.18\.0\.1"/);
});

function throughputRow(clients: number, aggregateBps: number) {
  return {
    clients,
    aggregateBps,
    minClientBps: aggregateBps / clients,
    maxClientBps: aggregateBps / clients,
    bytes: aggregateBps,
    serverCpuSeconds: 3,
    serverCores: 1,
    cpuSecondsPerGbit: 0.3,
    clientsCpuSeconds: 2,
    machineBusy: 1,
    retransmits: 0,
    meanPacketBytes: null,
  };
}

function setupRow(servers: number, perSecond: number) {
  return {
    mode: "setup" as const,
    label: servers === 1 ? "tunnel set-ups (TLS + Hello + Close)" : "tunnel set-ups, pool",
    servers,
    load: {
      mode: "setup" as const,
      concurrency: 128,
      identities: 300,
      completed: perSecond * 5,
      totalCompleted: perSecond * 6,
      failed: 0,
      seconds: 5,
      perSecond,
      failures: {},
      medianMs: 50,
      p99Ms: 90,
      generatorCpuSeconds: 4,
    },
    serverCpuSeconds: 5,
    serverCpuMsPerConnection: 1,
    serverCores: 0.9,
  };
}

const REPORT: FleetReport = {
  schema: "sssonector-bench-fleet/2",
  date: "2026-12-07T20:00:00.000Z",
  machine: {
    nproc: 2,
    kernel: "6.1",
    cpuModel: null,
    loadAverage: null,
    deno: "2.9.6",
    sssonector: "0.1.0",
    openvpn: null,
  },
  settings: fleetSettings(true),
  memory: { failed: "skipped" },
  throughput: { ok: [throughputRow(1, 1e9), throughputRow(4, 2e9), throughputRow(16, 2e9)] },
  poolThroughput: {
    ok: [throughputRow(1, 1e9), throughputRow(4, 3e9), throughputRow(16, 3.2e9)],
  },
  setups: { ok: [setupRow(1, 400)] },
  poolSetups: { ok: setupRow(2, 560) },
};

Deno.test("poolComparisons() puts the pool beside one server for every client count and the set-ups, with the ratio", () => {
  const lines = poolComparisons(REPORT);
  assert.deepEqual(
    lines.map((line) => [line.what, line.one, line.pool, line.ratio]),
    [
      ["throughput, 1 client (pool: 1 on a, 0 on b)", 1e9, 1e9, 1],
      ["throughput, 4 clients (pool: 2 on a, 2 on b)", 2e9, 3e9, 1.5],
      ["throughput, 16 clients (pool: 8 on a, 8 on b)", 2e9, 3.2e9, 1.6],
      ["tunnel set-ups per second (load split half and half)", 400, 560, 1.4],
    ],
  );
  const failed = poolComparisons({ ...REPORT, poolSetups: { failed: "boom" } }).at(-1)!;
  assert.deepEqual([failed.one, failed.pool, failed.ratio], [400, undefined, undefined]);
});

Deno.test("formatFleetReport() prints the pool rows beside the one-server rows, and a pool failure", () => {
  const text = formatFleetReport(REPORT);
  assert.match(
    text,
    /^throughput, 4 clients \(pool: 2 on a, 2 on b\) +2\.00 +3\.00 +1\.50x +Gbit\/s$/m,
  );
  assert.match(
    text,
    /^tunnel set-ups per second \(load split half and half\) +400 +560 +1\.40x +\/s$/m,
  );
  assert.match(text, /^pool throughput in detail/m);
  const failed = formatFleetReport({ ...REPORT, poolThroughput: { failed: "no second server" } });
  assert.match(failed, /^failed: pool throughput: no second server$/m);
  assert.match(failed, /^throughput, 16 clients \(pool: 8 on a, 8 on b\) +2\.00 +- +- +Gbit\/s$/m);
});
