import assert from "node:assert/strict";
import { CounterRegistry, type SessionView } from "../../src/counters/registry.ts";
import { emptyTraffic } from "../../src/counters/counters.ts";
import { CertificateStore } from "../../src/pki/certificate_store.ts";
import { Monitor } from "../../src/monitor/monitor.ts";
import { MonitorSource } from "../../src/monitor/source.ts";
import { TempCertificates } from "../lib/e2e_lab.ts";

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

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("/metrics and /status.json show each session's carrier health and AQM", async () => {
  const temp = await TempCertificates.create();
  const dir = temp.certDir;
  const certificates = await CertificateStore.load({
    enabled: true,
    minVersion: "1.2",
    certFile: `${dir}/server.crt`,
    keyFile: `${dir}/server.key`,
    caFile: `${dir}/ca.crt`,
  }, "server");
  const counters = new CounterRegistry();
  const source = new MonitorSource({ mode: "server", counters, certificates });
  const monitor = Monitor.start({ address: "127.0.0.1", port: 0 }, source, {
    build: { version: "9.9.9", deno: Deno.version.deno, commit: "abc123" },
  });
  try {
    source.attach({
      offload: true,
      readiness: () => ({ ready: true, reason: "listening" }),
      mssClamped: () => ({ read: 0, written: 0 }),
    });
    counters.track("web2", session);
    const get = (path: string) => fetch(`http://127.0.0.1:${monitor.port}${path}`);
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

    const promtool = await new Deno.Command("sh", { args: ["-c", "command -v promtool"] }).output();
    if (promtool.success) {
      const child = new Deno.Command("promtool", {
        args: ["check", "metrics"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
      const out = await child.output();
      const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(said.split("\n").filter((l) => /carrier|aqm|sojourn/.test(l)).join("\n"), "");
    }
  } finally {
    await monitor.close();
    await temp[Symbol.asyncDispose]();
  }
});
