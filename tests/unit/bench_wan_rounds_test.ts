import assert from "node:assert/strict";
import { parseQueueWaits } from "../../tools/lab/wan_link.ts";
import {
  formatRounds,
  type RoundSample,
  summarizeRounds,
} from "../../tools/bench/wan_rounds_table.ts";

function sample(label: string, round: number, loadedMs: number[], mbit: number): RoundSample {
  return {
    label,
    udp: label !== "sssonector",
    round,
    status: "ok",
    idleMs: 40,
    loadedMs,
    loadedSent: 10,
    upBps: mbit * 1e6,
    downBps: (mbit + 2) * 1e6,
    queueP50Ms: 5,
    queueP95Ms: 20,
  };
}

Deno.test("parseQueueWaits() reads the relay's sample lines in ms", () => {
  const out = "ready\na->b small_waits 12 p50_us 50 p95_us 1250\nb->a small_waits 0 p50_us 0 " +
    "p95_us 0\na->b relayed 1 lost 0 queue_full 0 ring_full 0 oversize 0 send_failed 0\n";
  assert.deepEqual(parseQueueWaits(out), [
    { direction: "a->b", frames: 12, p50Ms: 0.05, p95Ms: 1.25 },
    { direction: "b->a", frames: 0, p50Ms: 0, p95Ms: 0 },
  ]);
});

Deno.test("summarizeRounds() takes each round's ratio to that round's best UDP tunnel, then the median", () => {
  const samples: RoundSample[] = [
    sample("sssonector", 1, [60, 60, 60, 60, 60, 60, 60, 60, 60, 200], 90),
    sample("wireguard-go", 1, [50, 50, 50, 50, 50, 50, 50, 50, 50], 100),
    sample("openvpn-udp", 1, [55, 55, 55, 55, 55, 55, 55, 55, 55, 55], 95),
    sample("openvpn-udp", 2, [40, 40, 40, 40, 40, 40, 40, 40, 40, 40], 95),
    sample("sssonector", 2, [44, 44, 44, 44, 44, 44, 44, 44, 44, 44], 95),
    { ...sample("wireguard-go", 2, [], 0), status: "failed", note: "no reply" },
  ];
  const [ours, wg] = summarizeRounds(samples);
  assert.equal(ours!.label, "sssonector");
  assert.equal(ours!.rounds, 2);
  assert.equal(ours!.medianMs, (60 + 44) / 2);
  // Round 1: 60 / 50 (wireguard-go is best); round 2: 44 / 40 (openvpn-udp, the one measured).
  assert.equal(ours!.rttRatio, (60 / 50 + 44 / 40) / 2);
  assert.equal(ours!.throughputRatio, (90 / 100 + 95 / 95) / 2);
  assert.equal(ours!.latePercent, 5, "one ping in ten later than idle + 30 + 20 ms, in one round");
  assert.equal(wg!.lostPercent, 10, "one of ten pings unanswered");
  const text = formatRounds(samples);
  assert.match(text, /sssonector\s+2\s+52\.0 \/ /);
  assert.match(text, /round 2 wireguard-go: failed: no reply/);
});
