import assert from "node:assert/strict";
import { combineMeasurements, rangeOf, summarizeRounds } from "../../tools/bench/rounds.ts";
import type { BenchRow, RowId, RowMeasurement } from "../../tools/bench/types.ts";

function rtt(samplesMs: number[]) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    count: samplesMs.length,
    medianMs: sorted[Math.floor(sorted.length / 2)]!,
    p99Ms: sorted.at(-1)!,
    sent: samplesMs.length,
    received: samplesMs.length,
    samplesMs,
  };
}

const MEM = { rssKiB: 85 * 1024, pssKiB: 50 * 1024, privateKiB: 40 * 1024 };

function measurement(gbitUp: number, gbitDown: number, rttMs: number[], rssMiB = 100) {
  return {
    seconds: 2,
    clientToServerBps: gbitUp * 1e9,
    serverToClientBps: gbitDown * 1e9,
    bytes: ((gbitUp + gbitDown) * 1e9 * 2) / 8,
    rttIdle: rtt(rttMs),
    rttLoaded: rtt(rttMs.map((ms) => ms * 10)),
    processes: [
      {
        role: "server",
        pid: 1,
        command: "deno",
        cpuSeconds: 1,
        peakRssKiB: rssMiB * 1024,
        idle: { ...MEM, rssKiB: rssMiB * 512 },
        loaded: MEM,
      },
      {
        role: "client",
        pid: 2,
        command: "deno",
        cpuSeconds: 2,
        peakRssKiB: 90 * 1024,
        idle: MEM,
        loaded: MEM,
      },
    ],
    cpuSeconds: 3,
    cpuSecondsPerGB: 3 / ((gbitUp + gbitDown) / 4),
  } satisfies RowMeasurement;
}

function row(id: RowId, m: RowMeasurement | null, status: BenchRow["status"] = "ok"): BenchRow {
  return { id, label: id, status, notes: [], measurement: m, ratios: null };
}

Deno.test("rangeOf() gives min, median and max of the finite values, null for none", () => {
  assert.deepEqual(rangeOf([3, null, 1, 2, undefined, NaN]), { min: 1, median: 2, max: 3 });
  assert.equal(rangeOf([null, undefined]), null);
});

Deno.test("combineMeasurements() takes median rates, pools pings and keeps the highest RSS", () => {
  const combined = combineMeasurements([
    measurement(1, 2, [1, 2], 100),
    measurement(3, 1, [3, 4], 130),
    measurement(2, 5, [5, 6], 110),
  ]);
  assert.equal(combined.clientToServerBps, 2e9);
  assert.equal(combined.serverToClientBps, 2e9);
  assert.deepEqual(combined.rttIdle.samplesMs, [1, 2, 3, 4, 5, 6]);
  assert.equal(combined.rttIdle.sent, 6);
  assert.equal(combined.rttIdle.medianMs, 3.5);
  assert.equal(combined.processes.find((p) => p.role === "server")!.peakRssKiB, 130 * 1024);
  // Idle and loaded memory: each figure's median over the rounds.
  assert.equal(combined.processes.find((p) => p.role === "server")!.idle.rssKiB, 110 * 512);
  assert.deepEqual(combined.processes.find((p) => p.role === "client")!.loaded, MEM);
  assert.throws(() => combineMeasurements([]), RangeError);
});

Deno.test("summarizeRounds() rates each round against its own baseline, then reports the spread", () => {
  // The machine got twice as fast in round 2: both rows doubled, so the ratio held at 10x.
  const rounds = [
    [
      row("sssonector-offload-on", measurement(4, 4, [1])),
      row("openvpn-tcp", measurement(0.4, 0.4, [0.5])),
    ],
    [
      row("sssonector-offload-on", measurement(8, 8, [1])),
      row("openvpn-tcp", measurement(0.8, 0.8, [0.5])),
    ],
    [
      row("sssonector-offload-on", measurement(3, 6, [1])),
      row("openvpn-tcp", measurement(0.4, 0.4, [0.25])),
    ],
  ];
  const summary = summarizeRounds(rounds, "openvpn-tcp");
  assert.deepEqual(summary.rows.map((r) => r.id), ["sssonector-offload-on", "openvpn-tcp"]);
  const tunnel = summary.spread.find((s) => s.id === "sssonector-offload-on")!;
  assert.equal(tunnel.rounds, 3);
  assert.deepEqual(tunnel.clientToServer, { min: 7.5, median: 10, max: 10 });
  assert.deepEqual(tunnel.serverToClient, { min: 10, median: 10, max: 15 });
  assert.deepEqual(tunnel.rttIdleMedian, { min: 2, median: 2, max: 4 });
  assert.equal(summary.rows[0]!.ratios!.clientToServer, 10, "median of per-round ratios");
  assert.equal(summary.rounds.length, 3);
  assert.equal(summary.rounds[0]![0]!.ratios!.clientToServer, 10);
});

Deno.test("summarizeRounds() notes a row missing in some rounds and keeps one never measured", () => {
  const rounds = [
    [row("sssonector-offload-on", measurement(4, 4, [1])), row("openvpn-tcp", null, "skipped")],
    [row("sssonector-offload-on", null, "failed"), row("openvpn-tcp", null, "skipped")],
  ];
  const summary = summarizeRounds(rounds, "openvpn-tcp");
  const [tunnel, openvpn] = summary.rows;
  assert.equal(tunnel!.status, "ok");
  assert.deepEqual(tunnel!.notes, ["measured in 1 of 2 rounds"]);
  assert.equal(tunnel!.ratios, null, "no baseline, no ratios");
  assert.equal(openvpn!.status, "skipped");
  assert.equal(openvpn!.measurement, null);
  assert.equal(summary.spread.find((s) => s.id === "sssonector-offload-on")!.rounds, 1);
});

Deno.test("combineMeasurements() sums flood-ping requests and takes the median of the averages", () => {
  const flood = (avgMs: number, received = 200) => ({ sent: 200, received, avgMs });
  const combined = combineMeasurements([
    { ...measurement(1, 1, [1]), floodPing: flood(0.3) },
    { ...measurement(1, 1, [1]), floodPing: flood(0.5, 0) },
    { ...measurement(1, 1, [1]), floodPing: flood(0.2) },
    { ...measurement(1, 1, [1]), floodPing: null },
  ]);
  assert.deepEqual(combined.floodPing, { sent: 600, received: 400, avgMs: 0.3 });
  assert.equal(combineMeasurements([measurement(1, 1, [1])]).floodPing, null);
});
