/**
 * The monitoring endpoint end to end: a real server and client in the namespace lab with
 * monitoring on, scraped from inside the namespaces with curl while pings cross the tunnel.
 * Needs root; skipped otherwise.
 */

import assert from "node:assert/strict";
import { run } from "../../tools/lab/netns_lab.ts";
import type { LabHost } from "../../tools/lab/netns_lab.ts";
import { E2eLab, LAUNCHER, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";
import { enableMonitoring, MONITOR_PORT } from "../lib/monitor_lab.ts";

const ignore = Deno.uid() !== 0;
/** `curl` inside a host's namespace: status code and body. */
async function curl(lab: E2eLab, host: LabHost, path: string) {
  const result = await lab.net.try(host, "curl", [
    "-s",
    "-m",
    "5",
    "-w",
    "\n%{http_code}",
    `http://127.0.0.1:${MONITOR_PORT}${path}`,
  ]);
  const cut = result.stdout.lastIndexOf("\n");
  return { status: Number(result.stdout.slice(cut + 1)), body: result.stdout.slice(0, cut) };
}

function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

Deno.test({
  name: "a server and client with monitoring: /metrics passes promtool and its byte counters move",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("mon");
    const configs = await lab.configs();
    await enableMonitoring(configs.serverConfig);
    await enableMonitoring(configs.clientConfig);
    const server = await lab.startServer(configs);
    await server.waitForLog(/monitoring on http:\/\/127\.0\.0\.1:9090\//);
    const client = await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);

    const first = await curl(lab, lab.server, "/metrics");
    assert.equal(first.status, 200, first.body);
    const checked = await run("promtool", ["check", "metrics"], { stdin: first.body });
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    assert.equal((checked.stdout + checked.stderr).trim(), "");

    const series = 'sssonector_peer_bytes_total{peer="client",direction="in"}';
    const before = sample(first.body, series);
    const pinged = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 5 });
    assert.ok(pinged.ok, pinged.output);
    const second = await curl(lab, lab.server, "/metrics");
    const after = sample(second.body, series);
    // Five 84-byte echo requests at least (IP header included).
    assert.ok(after >= before + 5 * 84, `bytes in went from ${before} to ${after}`);
    assert.ok(
      sample(second.body, 'sssonector_peer_bytes_total{peer="client",direction="out"}') > 0,
    );
    assert.equal(sample(second.body, "sssonector_sessions_active"), 1);
    assert.equal(sample(second.body, "sssonector_ready"), 1);
    assert.equal(sample(second.body, "sssonector_tun_offload"), 1);
    assert.ok(
      sample(second.body, "process_resident_memory_bytes") > 10_000_000,
      second.body.split("\n").filter((l) => l.startsWith("process_")).join("\n"),
    );
    assert.ok(sample(second.body, "process_open_fds") > 0);
    assert.match(second.body, /sssonector_build_info\{version="[^"]+",deno_version="2\./);

    // Garbage and an oversized request head at the real process: answered, and it goes on.
    const garbage = await lab.net.try(lab.server, "bash", [
      "-c",
      `head -c 65536 /dev/urandom > /dev/tcp/127.0.0.1/${MONITOR_PORT}; true`,
    ]);
    assert.equal(garbage.code, 0, garbage.stderr);
    const oversized = await lab.net.try(lab.server, "curl", [
      "-s",
      "-m",
      "5",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-H",
      `X-Fill: ${"a".repeat(20_000)}`,
      `http://127.0.0.1:${MONITOR_PORT}/metrics`,
    ]);
    assert.equal(oversized.stdout, "431");
    assert.deepEqual(await curl(lab, lab.server, "/healthz"), { status: 200, body: "ok\n" });
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);

    const clientMetrics = await curl(lab, lab.client, "/metrics");
    assert.equal(
      sample(clientMetrics.body, 'sssonector_peer_bytes_total{peer="198.18.0.1",direction="out"}') >
        0,
      true,
    );
    assert.deepEqual(await curl(lab, lab.server, "/readyz"), {
      status: 200,
      body: "listening on 198.18.0.1:443\n",
    });
    assert.equal((await curl(lab, lab.client, "/readyz")).status, 200);
    assert.deepEqual(await curl(lab, lab.client, "/healthz"), { status: 200, body: "ok\n" });

    // The server goes away: the client stays alive (healthz) but is not ready, and says why.
    await server.stop();
    await client.waitForLog(/disconnected from .*/);
    const notReady = await curl(lab, lab.client, "/readyz");
    assert.equal(notReady.status, 503);
    assert.match(notReady.body, /^not connected to 198\.18\.0\.1:443: .+\n$/);
    assert.equal((await curl(lab, lab.client, "/healthz")).status, 200);
    const reconnects = await curl(lab, lab.client, "/metrics");
    assert.ok(sample(reconnects.body, "sssonector_reconnects_total") >= 0);
  },
});

Deno.test({
  name: "a monitoring port already in use stops the start with one line naming it",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("monbusy");
    const configs = await lab.configs();
    await enableMonitoring(configs.serverConfig);
    await lab.startServer(configs);
    // A second process in the same namespace, same monitoring port: refused before its TUN.
    const second = await lab.configs();
    await enableMonitoring(second.serverConfig);
    const result = await lab.net.try(lab.server, LAUNCHER, ["-config", second.serverConfig]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(
      result.stderr.trim(),
      `sssonector: ${second.serverConfig}: monitoring (address 127.0.0.1, port 9090): cannot ` +
        "listen on 127.0.0.1:9090: the port is in use by another program; choose another " +
        "monitoring.port or set monitoring.enabled: false",
    );
  },
});
