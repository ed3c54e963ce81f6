/**
 * A session's sparse lane as data: /metrics has one series per session for whether its lane is up
 * and what lanes carried, /status.json carries the same view, and promtool accepts the series.
 */
import assert from "node:assert/strict";
import type { SessionView } from "../../src/counters/registry.ts";
import { emptyTraffic } from "../../src/counters/counters.ts";
import { promtoolComplaints, sample, startSessionMonitor } from "../lib/session_monitor.ts";

function session(peerName: string, remote: string, lane: SessionView["lane"]): SessionView {
  return {
    peerName,
    tunnelAddress: "10.0.0.2",
    remote,
    since: Date.now() - 5000,
    rttMs: 41,
    queuedBytes: 0,
    traffic: emptyTraffic(),
    ...(lane ? { lane } : {}),
  };
}

Deno.test("/metrics and /status.json show whether each session's sparse lane is up and what it carried", async () => {
  await using monitor = await startSessionMonitor();
  const { counters, get } = monitor;
  const up = { up: true, opened: 2, packetsOut: 120, bytesOut: 9600, fallbacks: 3 };
  const down = { up: false, opened: 1, packetsOut: 5, bytesOut: 400, fallbacks: 0 };
  counters.track("web2", () => session("web2", "198.18.0.2:40000", up));
  counters.track("web3", () => session("web3", "198.18.0.3:40000", down));
  counters.track("old", () => session("old", "198.18.0.4:40000", undefined));
  const text = await (await get("/metrics")).text();
  const web2 = '{peer="web2",remote="198.18.0.2:40000"}';
  const web3 = '{peer="web3",remote="198.18.0.3:40000"}';
  assert.equal(sample(text, `sssonector_lane_up${web2}`), 1);
  assert.equal(sample(text, `sssonector_lane_up${web3}`), 0);
  assert.equal(sample(text, `sssonector_lane_opened_total${web2}`), 2);
  assert.equal(sample(text, `sssonector_lane_packets_total${web2}`), 120);
  assert.equal(sample(text, `sssonector_lane_bytes_total${web2}`), 9600);
  assert.equal(sample(text, `sssonector_lane_fallbacks_total${web2}`), 3);
  assert.equal(sample(text, `sssonector_lane_packets_total${web3}`), 5);
  assert.ok(!/sssonector_lane_up\{peer="old"/.test(text), "no lane view: no series");
  const status = await (await get("/status.json")).json();
  const byPeer = new Map(status.sessions.map((s: { peer: string }) => [s.peer, s]));
  assert.deepEqual((byPeer.get("web2") as { lane: unknown }).lane, up);
  assert.equal((byPeer.get("old") as { lane: unknown }).lane, null);

  assert.equal(await promtoolComplaints(text, /lane/), "");
});
