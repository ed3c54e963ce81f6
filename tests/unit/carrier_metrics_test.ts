import assert from "node:assert/strict";
import type { SessionView } from "../../src/counters/registry.ts";
import { emptyTraffic } from "../../src/counters/counters.ts";
import { promtoolComplaints, sample, startSessionMonitor } from "../lib/session_monitor.ts";

function session(): SessionView {
  return {
    peerName: "web2",
    tunnelAddress: "10.0.0.2",
    remote: "198.18.0.2:40000",
    since: Date.now() - 5000,
    rttMs: 41,
    queuedBytes: 0,
    traffic: emptyTraffic(),
    carrier: {
      congestionControl: "bbr",
      srttMs: 40.5,
      rttvarMs: 2.25,
      retransmits: 17,
      cwnd: 120,
      deliveryRateBps: 95e6,
      notsentBytes: 16384,
    },
    aqm: { sojournMs: 3.5, dropped: 12, marked: 4 },
  };
}

Deno.test("/metrics and /status.json show each session's carrier health and AQM", async () => {
  await using monitor = await startSessionMonitor();
  const { counters, get } = monitor;
  counters.track("web2", session);
  const text = await (await get("/metrics")).text();
  const labels = '{peer="web2",remote="198.18.0.2:40000"}';
  assert.equal(sample(text, `sssonector_carrier_srtt_seconds${labels}`), 0.0405);
  assert.equal(sample(text, `sssonector_carrier_rttvar_seconds${labels}`), 0.00225);
  assert.equal(sample(text, `sssonector_carrier_retransmits_total${labels}`), 17);
  assert.equal(sample(text, `sssonector_carrier_cwnd_segments${labels}`), 120);
  assert.equal(
    sample(text, `sssonector_carrier_delivery_rate_bytes_per_second${labels}`),
    95e6 / 8,
  );
  assert.equal(sample(text, `sssonector_carrier_notsent_bytes${labels}`), 16384);
  assert.equal(sample(text, `sssonector_session_queue_sojourn_seconds${labels}`), 0.0035);
  assert.equal(sample(text, `sssonector_session_aqm_drops_total${labels}`), 12);
  assert.equal(sample(text, `sssonector_session_aqm_marks_total${labels}`), 4);
  const status = await (await get("/status.json")).json();
  assert.deepEqual(status.sessions[0].carrier, session().carrier);
  assert.deepEqual(status.sessions[0].aqm, session().aqm);

  assert.equal(await promtoolComplaints(text, /carrier|aqm|sojourn/), "");
});
