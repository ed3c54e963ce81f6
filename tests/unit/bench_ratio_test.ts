import assert from "node:assert/strict";
import { compareRows, cpuSecondsPerGB, ratio, withRatios } from "../../tools/bench/ratio.ts";
import type { BenchRow, RowMeasurement } from "../../tools/bench/types.ts";

function rtt(medianMs: number) {
  return { count: 1, medianMs, p99Ms: medianMs, sent: 1, received: 1, samplesMs: [medianMs] };
}

function measurement(upBps: number, downBps: number, idleMs: number, loadMs: number) {
  return {
    seconds: 2,
    clientToServerBps: upBps,
    serverToClientBps: downBps,
    bytes: 1e9,
    rttIdle: rtt(idleMs),
    rttLoaded: rtt(loadMs),
    processes: [],
    cpuSeconds: null,
    cpuSecondsPerGB: null,
  } satisfies RowMeasurement;
}

Deno.test("ratio() divides by the baseline", () => {
  assert.equal(ratio(3e9, 1e9), 3);
  assert.equal(ratio(0.5, 2), 0.25);
  assert.equal(ratio(0, 2), 0);
});

Deno.test("ratio() has no answer without a usable baseline or value", () => {
  assert.equal(ratio(1, undefined), undefined);
  assert.equal(ratio(undefined, 1), undefined);
  assert.equal(ratio(1, 0), undefined);
  assert.equal(ratio(1, NaN), undefined);
  assert.equal(ratio(NaN, 1), undefined);
  assert.equal(ratio(-1, 1), undefined);
});

Deno.test("cpuSecondsPerGB() scales CPU seconds to 10^9 bytes", () => {
  assert.equal(cpuSecondsPerGB(2, 4e9), 0.5);
  assert.equal(cpuSecondsPerGB(3, 5e8), 6);
  assert.equal(cpuSecondsPerGB(1, 0), undefined);
});

Deno.test("compareRows() gives throughput x-times and round trips relative to the baseline", () => {
  const ratios = compareRows(measurement(4e9, 1e9, 0.5, 20), measurement(1e9, 2e9, 0.25, 40));
  assert.deepEqual(ratios, {
    clientToServer: 4,
    serverToClient: 0.5,
    rttIdleMedian: 2,
    rttLoadedMedian: 0.5,
  });
});

Deno.test("compareRows() is null when either side was not measured, and null per missing value", () => {
  assert.equal(compareRows(null, measurement(1, 1, 1, 1)), null);
  assert.equal(compareRows(measurement(1, 1, 1, 1), null), null);
  const noLoadReplies = compareRows(measurement(1, 1, 1, NaN), measurement(1, 1, 1, 1));
  assert.equal(noLoadReplies?.rttLoadedMedian, null);
});

Deno.test("withRatios() compares every row with the baseline row, itself included", () => {
  const row = (id: BenchRow["id"], m: RowMeasurement | null): BenchRow => ({
    id,
    label: id,
    status: m ? "ok" : "skipped",
    notes: [],
    measurement: m,
    ratios: null,
  });
  const rows = withRatios([
    row("veth", measurement(10, 10, 1, 1)),
    row("sssonector-offload-on", null),
    row("openvpn-tcp", measurement(5, 5, 2, 2)),
  ], "openvpn-tcp");
  assert.equal(rows[0]?.ratios?.clientToServer, 2);
  assert.equal(rows[0]?.ratios?.rttIdleMedian, 0.5);
  assert.equal(rows[1]?.ratios, null);
  assert.equal(rows[2]?.ratios?.serverToClient, 1);
});

Deno.test("withRatios() leaves every ratio null when the baseline was skipped", () => {
  const rows = withRatios([{
    id: "veth",
    label: "veth",
    status: "ok",
    notes: [],
    measurement: measurement(1, 1, 1, 1),
    ratios: null,
  }], "openvpn-tcp");
  assert.equal(rows[0]?.ratios, null);
});
