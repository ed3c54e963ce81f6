import assert from "node:assert/strict";
import { parseToolCommandLine } from "../../tools/cli.ts";
import { UsageError } from "../../src/cli/errors.ts";
import { parseRelayCounters, relayArgs, WAN_PROFILES } from "../../tools/lab/wan_link.ts";
import {
  bestUdp,
  formatWanReport,
  loadedPingCount,
  type WanReport,
} from "../../tools/bench/wan_table.ts";
import type { RowMeasurement } from "../../tools/bench/types.ts";
import type { WanRowResult } from "../../tools/bench/wan_rows.ts";

function rtt(samplesMs: number[]) {
  return { count: samplesMs.length, medianMs: 0, p99Ms: 0, sent: 100, received: 100, samplesMs };
}

function measured(mbit: number, loadedMs: number[]): RowMeasurement {
  return {
    seconds: 10,
    clientToServerBps: mbit * 1e6,
    serverToClientBps: mbit * 1e6,
    bytes: 0,
    rttIdle: { ...rtt([40, 41]), medianMs: 40.5 },
    rttLoaded: rtt(loadedMs),
    processes: [],
    cpuSeconds: null,
    cpuSecondsPerGB: null,
  };
}

Deno.test("bench --wan parses alone, with --quick or with --rounds, and refuses --fleet", () => {
  assert.deepEqual(parseToolCommandLine(["bench", "--wan"]), {
    kind: "bench",
    quick: false,
    wan: true,
  });
  assert.deepEqual(parseToolCommandLine(["bench", "--wan", "--quick"]), {
    kind: "bench",
    quick: true,
    wan: true,
  });
  assert.deepEqual(parseToolCommandLine(["bench", "--wan", "--rounds", "2"]), {
    kind: "bench",
    quick: false,
    wan: true,
    rounds: 2,
  });
  assert.throws(() => parseToolCommandLine(["bench", "--wan", "--fleet"]), UsageError);
});

Deno.test("the relay's arguments and closing counters", () => {
  assert.deepEqual(relayArgs(WAN_PROFILES[1]!, 7), ["20", "1", "100", "30", "7"]);
  assert.deepEqual(
    parseRelayCounters(
      "ready\na->b relayed 10 lost 1 queue_full 2 ring_full 0 oversize 0 send_failed 0\n" +
        "b->a relayed 20 lost 3 queue_full 0 ring_full 0 oversize 0 send_failed 1\n",
    ).map((c) => [c.direction, c.relayed, c.lost, c.queueFull, c.sendFailed]),
    [["a->b", 10, 1, 2, 0], ["b->a", 20, 3, 0, 1]],
  );
});

Deno.test("the WAN table compares each tunnel with the UDP tunnel of lowest latency under load", () => {
  const rows: WanRowResult[] = [
    { id: "sssonector", status: "ok", notes: [], measurement: measured(90, [60, 62, 64]) },
    { id: "openvpn-udp", status: "ok", notes: [], measurement: measured(80, [70, 70, 71]) },
    { id: "wireguard-go", status: "ok", notes: [], measurement: measured(100, [50, 50, 52]) },
    { id: "openvpn-tcp", status: "failed", notes: ["broke"], measurement: null },
  ];
  assert.deepEqual(bestUdp(rows), { id: "wireguard-go", rttMs: 50, bps: 100e6 });
  const report: WanReport = {
    schema: "sssonector-bench-wan/1",
    date: "2026-12-07T00:00:00.000Z",
    machine: "test",
    seconds: 10,
    pingCount: 100,
    pingIntervalMs: 50,
    loadedPingDelayMs: 2000,
    paths: [{ profile: WAN_PROFILES[2]!, rows, relay: [] }],
  };
  const text = formatWanReport(report);
  assert.match(text, /40ms-100M\s+sssonector\s+90\s+90\s+40\.5\s+62\.0\/63\.8\s+1\.24x, 90 %/);
  assert.match(text, /openvpn-tcp\s+failed/);
  assert.match(text, /note: 40ms-100M openvpn-tcp: broke/);
});

Deno.test("the loaded pings end before the transfer does", () => {
  assert.equal(loadedPingCount(10, 2000, 50), 100, "10 s: the full 100");
  assert.equal(loadedPingCount(8, 2000, 50), 100);
  assert.equal(loadedPingCount(5, 2000, 50), 50, "5 s: from 2 s to 4.5 s");
  assert.equal(loadedPingCount(1, 2000, 50), 1, "never none");
});
