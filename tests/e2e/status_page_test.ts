/**
 * The status page in a real browser: Debian's Chromium, driven by playwright-core, opens the
 * server's page inside the server namespace after a flood ping, finds the flood already drawn
 * from the monitor's history on labelled rate and time axes, the live session with its rate, and
 * sees the throughput chart move while another flood crosses the tunnel. Saves a screenshot to tests/results/. Needs
 * root and /usr/bin/chromium; skipped otherwise.
 */

import assert from "node:assert/strict";
import { E2eLab, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";
import { enableMonitoring, MONITOR_PORT } from "../lib/monitor_lab.ts";

let chromium = false;
try {
  chromium = Deno.statSync("/usr/bin/chromium").isFile;
} catch {
  // not installed
}
const ignore = Deno.uid() !== 0 || !chromium;
const PROBE = new URL("../lib/status_page_probe.ts", import.meta.url).pathname;
const RESULTS = new URL("../results/", import.meta.url).pathname;

Deno.test({
  name: "the status page shows the live session and its chart moves while traffic flows",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("page");
    const configs = await lab.configs();
    await enableMonitoring(configs.serverConfig);
    // A keepalive each second, so the page has a round trip to show within the test.
    const server = await Deno.readTextFile(configs.serverConfig);
    await Deno.writeTextFile(
      configs.serverConfig,
      server.replace("network:\n", "network:\n  keepalive_interval: 1\n"),
    );
    await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    // Traffic before the page is opened: the page must show it from the monitor's history.
    const before = await lab.net.try(lab.client, "ping", [
      "-f",
      "-s",
      "1000",
      "-w",
      "3",
      SERVER_TUNNEL_IP,
    ]);
    assert.equal(before.code, 0, before.stderr);
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const screenshot = `${RESULTS}status_page.png`;
    const probe = lab.spawnScript(lab.server, PROBE, [
      `http://127.0.0.1:${MONITOR_PORT}/`,
      screenshot,
      "7",
    ]);
    const loaded = await probe.ready as {
      row: string;
      atLoad: { points: number; yLabels: string[]; xLabels: string[]; rateIn: string };
    };
    assert.match(
      loaded.row,
      // ... rate in, rate out, then the sparse lane: up (the lab's client has one) and its packets.
      /client\s+10\.0\.0\.2\/24\s+198\.18\.0\.2:\d+.*\s+\d[\d.]* k?bit\/s\s+\d[\d.]* k?bit\/s\s+up, \d+ packets$/s,
    );
    // Opened after the flood: the last seconds are drawn at once, on a rate scale that holds
    // the flood's megabits, with clock times under the ten-minute window.
    assert.ok(loaded.atLoad.points >= 5, `only ${loaded.atLoad.points} points at load`);
    const yLabels = loaded.atLoad.yLabels;
    assert.ok(yLabels.length === 5 || yLabels.length === 6, yLabels.join(" | "));
    assert.equal(yLabels[0], "0 bit/s");
    assert.match(yLabels.at(-1)!, /^(1|2|5|10|20|50|100|200|500) Mbit\/s$/, yLabels.join(" | "));
    assert.ok(loaded.atLoad.xLabels.length >= 4, loaded.atLoad.xLabels.join(" | "));
    assert.ok(loaded.atLoad.xLabels.every((label) => /^\d\d:\d\d$/.test(label)));
    assert.match(loaded.atLoad.rateIn, /peak \d[\d.]* Mbit\/s in the last 10 min/);
    // Traffic both ways while the page samples: 4 s of 1000-byte flood pings.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const flood = await lab.net.try(lab.client, "ping", [
      "-f",
      "-s",
      "1000",
      "-w",
      "4",
      SERVER_TUNNEL_IP,
    ]);
    assert.equal(flood.code, 0, flood.stderr);
    const report = await probe.done as {
      samples: Array<{ in: number; out: number; points: number }>;
      state: string;
      rateIn: string;
      sessionRow: string;
      failed: string[];
    };
    const values = report.samples.map((sample) => sample.in);
    assert.ok(new Set(values).size >= 3, `the chart barely moved: ${values.join(", ")}`);
    assert.ok(Math.max(...values) > 1_000_000, `peak in only ${Math.max(...values)} bit/s`);
    assert.ok(Math.max(...report.samples.map((s) => s.out)) > 1_000_000);
    assert.ok(report.samples.at(-1)!.points > 3, "the chart has a line");
    assert.equal(report.state, "ready");
    assert.match(report.sessionRow, /ms/, "the round trip is shown");
    assert.deepEqual(report.failed, [], "no failed or external request");
    assert.ok((await Deno.stat(screenshot)).size > 10_000);
  },
});
