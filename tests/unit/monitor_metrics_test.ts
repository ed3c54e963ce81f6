import assert from "node:assert/strict";
import { CounterRegistry, type SessionView } from "../../src/counters/registry.ts";
import { emptyTraffic, observeRtt } from "../../src/counters/counters.ts";
import { CertificateStore } from "../../src/pki/certificate_store.ts";
import { Monitor } from "../../src/monitor/monitor.ts";
import { MonitorSource } from "../../src/monitor/source.ts";
import { TempCertificates } from "../lib/e2e_lab.ts";

const hasPromtool = (await new Deno.Command("sh", { args: ["-c", "command -v promtool"] }).output())
  .success;

async function fixture() {
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
  return {
    counters,
    source,
    monitor,
    certificates,
    get: (path: string) => fetch(`http://127.0.0.1:${monitor.port}${path}`),
    async [Symbol.asyncDispose]() {
      await monitor.close();
      await temp[Symbol.asyncDispose]();
    },
  };
}

function session(traffic = emptyTraffic(), rtt: { rttMs?: number } = { rttMs: 1.5 }): SessionView {
  return {
    peerName: "web2",
    tunnelAddress: "10.0.0.2",
    remote: "198.18.0.2:40000",
    since: Date.now() - 5000,
    rttMs: rtt.rttMs,
    queuedBytes: 0,
    traffic,
  };
}

/** The value of one sample line, e.g. `sssonector_sessions_active` or with labels. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("/metrics shows sessions, per-peer traffic monotonic across reconnects, refusals", async () => {
  await using f = await fixture();
  const traffic = emptyTraffic();
  traffic.bytesIn = 1000;
  traffic.packetsOut = 7;
  traffic.drops.spoofed = 2;
  traffic.drops.destination = 5;
  traffic.drops.linkLocal = 6;
  const end = f.counters.track("web2", () => session(traffic));
  f.counters.process.connections.refused["other CA"] = 3;
  f.counters.process.tun.unroutable = 4;
  f.source.attach({
    offload: true,
    readiness: () => ({ ready: true, reason: "listening" }),
    mssClamped: () => ({ read: 8, written: 9 }),
  });
  let text = await (await f.get("/metrics")).text();
  assert.equal(sample(text, "sssonector_sessions_active"), 1);
  assert.equal(sample(text, 'sssonector_peer_bytes_total{peer="web2",direction="in"}'), 1000);
  assert.equal(sample(text, 'sssonector_peer_packets_total{peer="web2",direction="out"}'), 7);
  assert.equal(
    sample(text, 'sssonector_peer_dropped_packets_total{peer="web2",reason="spoofed"}'),
    2,
  );
  assert.equal(
    sample(text, 'sssonector_peer_dropped_packets_total{peer="web2",reason="destination_refused"}'),
    5,
  );
  assert.equal(sample(text, 'sssonector_dropped_packets_total{reason="link_local"}'), 6);
  assert.equal(sample(text, 'sssonector_dropped_packets_total{reason="unroutable"}'), 4);
  assert.equal(sample(text, 'sssonector_handshakes_refused_total{reason="other CA"}'), 3);
  assert.equal(
    sample(text, 'sssonector_session_rtt_seconds{peer="web2",remote="198.18.0.2:40000"}'),
    0.0015,
  );
  assert.equal(sample(text, "sssonector_tun_offload"), 1);
  assert.equal(sample(text, 'sssonector_mss_clamped_total{direction="into_tunnel"}'), 8);
  assert.equal(sample(text, 'sssonector_mss_clamped_total{direction="out_of_tunnel"}'), 9);
  assert.equal(sample(text, "sssonector_ready"), 1);
  assert.match(
    text,
    /sssonector_build_info\{version="9\.9\.9",deno_version="[^"]+",commit="abc123",mode="server"\} 1/,
  );
  const own = f.certificates.state().certificate;
  assert.equal(
    sample(
      text,
      `sssonector_certificate_expiry_timestamp_seconds{role="own",subject="${own.subject}",serial="${own.serialHex}"}`,
    ),
    own.notAfter.getTime() / 1000,
  );
  assert.ok((sample(text, "process_resident_memory_bytes") ?? 0) > 0);

  // The session ends and the peer comes back: totals go on from where they were.
  end();
  const again = emptyTraffic();
  again.bytesIn = 10;
  f.counters.track("web2", () => session(again, {}));
  text = await (await f.get("/metrics")).text();
  assert.equal(sample(text, 'sssonector_peer_bytes_total{peer="web2",direction="in"}'), 1010);
  assert.equal(sample(text, 'sssonector_peer_sessions_total{peer="web2"}'), 2);
  assert.doesNotMatch(text, /sssonector_session_rtt_seconds\{/, "no RTT before the first pong");
});

Deno.test({
  name: "/metrics passes promtool check metrics",
  ignore: !hasPromtool,
  async fn() {
    await using f = await fixture();
    f.counters.track("web2", () => session());
    const text = await (await f.get("/metrics")).text();
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
    const report = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, report);
    assert.equal(report.trim(), "", `promtool has remarks:\n${report}`);
  },
});

Deno.test("/healthz answers while starting; /readyz says why it is not ready in one line", async () => {
  await using f = await fixture();
  const health = await f.get("/healthz");
  assert.equal(health.status, 200);
  assert.equal(await health.text(), "ok\n");
  let ready = await f.get("/readyz");
  assert.equal(ready.status, 503);
  assert.equal(await ready.text(), "starting\n");
  f.source.attach({
    offload: false,
    readiness: () => ({ ready: false, reason: "not connected to vpn:443: refused" }),
  });
  ready = await f.get("/readyz");
  assert.equal(ready.status, 503);
  assert.equal(await ready.text(), "not connected to vpn:443: refused\n");
  f.source.attach({ offload: false, readiness: () => ({ ready: true, reason: "connected" }) });
  assert.equal((await f.get("/readyz")).status, 200);
  await (await f.get("/")).body?.cancel();
  f.source.stopping();
  ready = await f.get("/readyz");
  assert.equal(await ready.text(), "shutting down\n");
});

Deno.test("/status.json lists sessions and totals; / is the page with a strict CSP", async () => {
  await using f = await fixture();
  const traffic = emptyTraffic();
  traffic.bytesOut = 500;
  f.counters.track("web2", () => session(traffic));
  f.counters.track("site", () => ({ ...session(), peerName: "site", routes: ["192.168.10.0/24"] }));
  const status = await (await f.get("/status.json")).json();
  assert.equal(status.mode, "server");
  assert.equal(status.totals.bytesOut, 500);
  assert.deepEqual(
    status.sessions.map((s: { peer: string; tunnelAddress: string; routes: string[] }) => [
      s.peer,
      s.tunnelAddress,
      s.routes,
    ]),
    [["web2", "10.0.0.2", []], ["site", "10.0.0.2", ["192.168.10.0/24"]]],
  );
  const page = await f.get("/");
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  const html = await page.text();
  assert.match(html, /<svg id="chart-in"/);
  assert.doesNotMatch(html, /(src|href)="https?:/, "no external asset");
  assert.equal((await f.get("/nope")).status, 404);
});

Deno.test("every metric the Grafana dashboard and the alert rules name is one /metrics serves", async () => {
  await using f = await fixture();
  f.counters.track("web2", () => session());
  const served = new Set(
    (await (await f.get("/metrics")).text()).split("\n")
      .filter((line) => line.startsWith("# TYPE "))
      .map((line) => line.split(" ")[2]),
  );
  const docs = new URL("../../docs/", import.meta.url);
  const texts = [
    await Deno.readTextFile(new URL("grafana-dashboard.json", docs)),
    await Deno.readTextFile(new URL("prometheus-rules.yml", docs)),
  ];
  const named = new Set(
    texts.flatMap((text) => text.match(/\b(sssonector|process)_[a-z_]+/g) ?? []),
  );
  for (const name of named) {
    if (name === "process_open_fds" || name === "process_max_fds") continue; // from the shim
    assert.ok(served.has(name), `${name} is named in docs/ but not served`);
  }
  assert.ok(named.size > 10);
});

Deno.test("/metrics has a keepalive round-trip histogram fed from the counters model", async () => {
  await using f = await fixture();
  for (const ms of [0.3, 0.8, 0.9, 30, 4000]) observeRtt(f.counters.process.rtt, ms);
  const text = await (await f.get("/metrics")).text();
  assert.match(text, /# TYPE sssonector_keepalive_rtt_seconds histogram/);
  assert.equal(sample(text, 'sssonector_keepalive_rtt_seconds_bucket{le="0.0005"}'), 1);
  assert.equal(sample(text, 'sssonector_keepalive_rtt_seconds_bucket{le="0.001"}'), 3);
  assert.equal(sample(text, 'sssonector_keepalive_rtt_seconds_bucket{le="0.05"}'), 4);
  assert.equal(sample(text, 'sssonector_keepalive_rtt_seconds_bucket{le="2.5"}'), 4);
  assert.equal(sample(text, 'sssonector_keepalive_rtt_seconds_bucket{le="+Inf"}'), 5);
  assert.equal(sample(text, "sssonector_keepalive_rtt_seconds_count"), 5);
  assert.ok(Math.abs(sample(text, "sssonector_keepalive_rtt_seconds_sum")! - 4.032) < 1e-9);
  if (hasPromtool) {
    const child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stderr: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    const out = await child.output();
    assert.ok(
      out.success,
      new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout),
    );
  }
});
