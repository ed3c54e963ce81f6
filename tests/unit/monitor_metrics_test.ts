import assert from "node:assert/strict";
import type { SessionView } from "../../src/counters/registry.ts";
import { emptyTraffic, observeRtt } from "../../src/counters/counters.ts";
import {
  promtoolCheck,
  promtoolInstalled,
  sample,
  startServerMonitor,
} from "../lib/session_monitor.ts";

const hasPromtool = await promtoolInstalled();

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

Deno.test("/metrics shows sessions, per-peer traffic monotonic across reconnects, refusals", async () => {
  await using f = await startServerMonitor();
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
      `sssonector_certificate_expiry_timestamp_seconds{certificate="own",subject="${own.subject}",serial="${own.serialHex}"}`,
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
    await using f = await startServerMonitor();
    f.counters.track("web2", () => session());
    const text = await (await f.get("/metrics")).text();
    const checked = await promtoolCheck(text);
    assert.ok(checked, "promtool is installed");
    assert.equal(checked.code, 0, checked.report);
    assert.equal(checked.report.trim(), "", `promtool has remarks:\n${checked.report}`);
  },
});

Deno.test("/healthz answers while starting; /readyz says why it is not ready in one line", async () => {
  await using f = await startServerMonitor();
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
  await using f = await startServerMonitor();
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
  await using f = await startServerMonitor();
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
  await using f = await startServerMonitor();
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
  const checked = await promtoolCheck(text);
  if (checked) assert.equal(checked.code, 0, checked.report);
});

Deno.test("without a crl_file there is no CRL series, so nothing can read as due", async () => {
  await using f = await startServerMonitor();
  const text = await (await f.get("/metrics")).text();
  const series = text.split("\n")
    .filter((line) => line.startsWith("sssonector_crl_next_update_timestamp_seconds"));
  assert.deepEqual(series, []);
});

Deno.test("no metric label is one a scrape adds (job, instance, the shipped prometheus.yml's target labels)", async () => {
  await using f = await startServerMonitor();
  f.counters.track("web2", () => session());
  const text = await (await f.get("/metrics")).text();
  const { parse } = await import("yaml");
  const config = parse(
    await Deno.readTextFile(new URL("../../docs/prometheus.yml", import.meta.url)),
  ) as { scrape_configs: { static_configs: { labels?: Record<string, string> }[] }[] };
  const targetLabels = new Set(["job", "instance"]);
  for (const job of config.scrape_configs) {
    for (const group of job.static_configs) {
      for (const name of Object.keys(group.labels ?? {})) targetLabels.add(name);
    }
  }
  assert.ok(targetLabels.has("role"), "the shipped file labels its targets with role");
  const clashes = new Set<string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    for (const [, name] of line.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)="/g)) {
      if (targetLabels.has(name!)) clashes.add(`${line.split("{")[0]}: ${name}`);
    }
  }
  assert.deepEqual([...clashes], []);
});

Deno.test("/history.json holds the sampled throughput and /status.json each session's rate", async () => {
  await using f = await startServerMonitor({ sampleIntervalMs: 20, historyCapacity: 5 });
  const traffic = emptyTraffic();
  const view = session(traffic); // one session: the same start every snapshot
  f.counters.track("web2", () => view);
  const get = async (path: string) => await (await f.get(path)).json();
  // Traffic grows between samples; the ring never holds more than its capacity.
  for (let i = 0; i < 12; i++) {
    traffic.bytesIn += 1000;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const history = await get("/history.json");
  assert.equal(history.intervalMs, 20);
  assert.equal(history.capacity, 5);
  assert.equal(history.points.length, 5);
  assert.ok(history.points.some((p: { in: number }) => p.in > 0), JSON.stringify(history));
  const status = await get("/status.json");
  assert.equal(typeof status.totals.rate.in, "number");
  assert.equal(typeof status.sessions[0].rate.in, "number");
  assert.deepEqual(status.authorities.map((ca: { subject: string }) => ca.subject), [
    f.certificates.state().authorities[0]!.subject,
  ]);
});
