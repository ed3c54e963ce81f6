/**
 * `sssonector status` against real processes in the namespace lab: the server lists its client's
 * session (peer, tunnel address, remote, since, round trip, bytes and rate) and its own
 * certificate's expiry, the client its session to the server; `--json` is the monitor's report;
 * one line when nothing runs and when monitoring is off. And the original program's command lines
 * on a real process: `--mode` agreeing and disagreeing with the file, `-debug`, `-background`.
 * Needs root; skipped otherwise.
 */

import assert from "node:assert/strict";
import { E2eLab, LAUNCHER, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";
import { enableMonitoring } from "../lib/monitor_lab.ts";
import { pollUntil } from "../lib/poll.ts";
import type { LabHost } from "../../tools/lab/netns_lab.ts";

const ignore = Deno.uid() !== 0;

Deno.test({
  name:
    "sssonector status shows the live sessions of a server and a client, and one line when none runs",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("stat");
    const configs = await lab.configs();
    await enableMonitoring(configs.serverConfig);
    await enableMonitoring(configs.clientConfig);
    const server = await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    const status = (host: LabHost, ...args: string[]) =>
      lab.net.try(host, LAUNCHER, ["status", ...args]);

    // The rate needs two samples of the monitor (one a second): poll until it is there.
    let text = "";
    await pollUntil(
      async () => {
        const result = await status(lab.server, "-c", configs.serverConfig);
        assert.equal(result.code, 0, result.stderr);
        text = result.stdout;
        return /transfer: .* in, .* out; now /.test(text.split("peer:")[1] ?? "");
      },
      "status shows the session's rate",
      { timeoutMs: 15_000, intervalMs: 500 },
    );
    assert.match(text, /^sssonector server: ready \(listening on 198\.18\.0\.1:443\), version /);
    assert.match(
      text,
      /\n {2}certificate: CN=198\.18\.0\.1, serial [0-9A-F]+, expires \d{4}-\d\d-\d\d \(in less than a day\)\n/,
    );
    assert.match(text, /\n {2}ca: CN=SSSonector CA[^,]*, expires /);
    assert.match(text, /\n {2}sessions: 1\n/);
    assert.match(
      text,
      /\npeer: client\n {2}tunnel address: 10\.0\.0\.2\/24\n {2}remote: 198\.18\.0\.2:\d+\n/,
    );
    assert.match(text, /\n {2}since: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ s ago\)\n/);
    assert.match(text, /\n {2}round trip: (\d+\.\d\d ms|-)\n/);
    assert.match(
      text,
      /\n {2}transfer: [\d.]+ (B|KiB) in, [\d.]+ (B|KiB) out; now [\d.]+ k?bit\/s in/,
    );

    const json = await status(lab.server, "--config", configs.serverConfig, "--json");
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.mode, "server");
    assert.equal(report.sessions.length, 1);
    assert.equal(report.sessions[0].peer, "client");
    assert.equal(report.sessions[0].tunnelAddress, "10.0.0.2/24");
    assert.ok(report.sessions[0].bytesIn > 0);
    assert.equal(typeof report.sessions[0].rate.in, "number");

    const client = await status(lab.client, "-c", configs.clientConfig);
    assert.equal(client.code, 0, client.stderr);
    assert.match(client.stdout, /^sssonector client: ready \(/);
    assert.match(client.stdout, /\npeer: 198\.18\.0\.1\n {2}tunnel address: /);
    assert.match(client.stdout, /\n {2}remote: 198\.18\.0\.1:443\n/);

    // Nothing runs: one line, exit 1.
    await server.stop();
    const stopped = await status(lab.server, "-c", configs.serverConfig);
    assert.equal(stopped.code, 1);
    assert.equal(stopped.stdout, "");
    assert.equal(
      stopped.stderr,
      `sssonector: no sssonector is running for ${configs.serverConfig}: nothing answers on ` +
        "127.0.0.1:9090 (its monitoring.address and port)\n",
    );
    // Monitoring off in the file: one line saying so and what to change.
    const quiet = await lab.configs();
    const off = await status(lab.server, "-c", quiet.serverConfig);
    assert.equal(off.code, 1);
    assert.equal(
      off.stderr,
      `sssonector: ${quiet.serverConfig}: monitoring is disabled (monitoring.enabled: false), ` +
        "and status reads the running process through it: set monitoring.enabled: true and " +
        "restart the tunnel\n",
    );
  },
});

Deno.test({
  name:
    "the original's --mode runs when it agrees with the file and is refused when not; -debug logs at debug",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("orig");
    const configs = await lab.configs();
    const refused = await lab.net.try(lab.server, LAUNCHER, [
      "-config",
      configs.serverConfig,
      "--mode",
      "client",
    ]);
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      `sssonector: ${configs.serverConfig}: --mode client was given but the file says mode: ` +
        "server; the file decides the mode: drop --mode or name a client's file\n",
    );
    const background = await lab.net.try(lab.server, LAUNCHER, [
      "-config",
      configs.serverConfig,
      "-background",
    ]);
    assert.equal(background.code, 2);
    assert.match(background.stderr, /^sssonector: -background is not supported: /);
    assert.equal(background.stderr.trim().split("\n").length, 2, "the line and the --help hint");

    // As the original's test library starts it: --mode server, and -debug.
    const server = lab.net.spawn(lab.server, LAUNCHER, [
      "--mode",
      "server",
      "-debug",
      "-config",
      configs.serverConfig,
    ], { stderr: "piped" });
    const stderr = new Response(server.stderr).text();
    try {
      await pollUntil(
        async () => {
          const log = await Deno.readTextFile(configs.serverLog).catch(() => "");
          return /listening on/.test(log);
        },
        "the server listens",
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      const log = await Deno.readTextFile(configs.serverLog);
      assert.match(log, /DEBUG.*debug logging on \(-debug\)/);
      await lab.startClient(configs);
      await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    } finally {
      await lab.net.stop(server, 3000);
      await stderr;
    }
  },
});
