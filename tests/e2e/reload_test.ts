/**
 * SIGHUP end to end: real server and client processes in the namespace lab. A HUP reloads the
 * certificate set and reopens the log file; it never ends the process, never drops a ping, keeps
 * the running set when the new one is broken, and ends sessions that a new CRL revokes. Needs
 * root; skipped otherwise.
 */

import assert from "node:assert/strict";
import type { TunnelProcess } from "../../tools/lab/tunnel_process.ts";
import { run } from "../../tools/lab/netns_lab.ts";
import { E2eLab, runCli, SERVER_TUNNEL_IP, TUNNEL_PORT } from "../lib/e2e_lab.ts";
import { enableMonitoring, MONITOR_PORT } from "../lib/monitor_lab.ts";
import { PINGS_ACROSS, pingsAcross } from "../lib/pings_across.ts";

const ignore = Deno.uid() !== 0;

/** The serial (upper-case hex, as `--renew` prints it) of the certificate the server shows now. */
async function servedSerial(lab: E2eLab): Promise<string> {
  const dir = lab.certDir;
  const shown = await lab.net.try(lab.client, "openssl", [
    "s_client",
    "-connect",
    `${lab.server.ip}:${TUNNEL_PORT}`,
    "-cert",
    `${dir}/client.crt`,
    "-key",
    `${dir}/client.key`,
    "-CAfile",
    `${dir}/ca.crt`,
  ], { stdin: "" });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(shown.stdout);
  assert.ok(pem, `openssl s_client showed no certificate: ${shown.stderr}`);
  const parsed = await run("openssl", ["x509", "-noout", "-serial"], { stdin: pem[0] });
  return parsed.stdout.trim().replace(/^serial=/, "").replace(/^0+/, "").toUpperCase();
}

function hup(process: TunnelProcess): void {
  Deno.kill(process.child.pid, "SIGHUP");
}

/** Whether the process is still running. */
async function running(process: TunnelProcess): Promise<boolean> {
  const marker = Symbol();
  return await Promise.race([process.child.status, Promise.resolve(marker)]) === marker;
}

const strip = (serial: string) => serial.replace(/^0+/, "").toUpperCase();

Deno.test({
  name: "SIGHUP during traffic drops no ping, and the next handshake shows the renewed certificate",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("hup");
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    const before = await servedSerial(lab);

    const renewed = await runCli(["--renew", "server", "--cert-dir", lab.certDir]);
    assert.equal(renewed.code, 0, renewed.stderr);
    const serials = /serial ([0-9A-F]+) -> ([0-9A-F]+)/.exec(renewed.stdout);
    assert.ok(serials, renewed.stdout);
    assert.equal(strip(serials[1]!), before);

    // The HUP lands in the middle of the pings.
    const { value: line, pings, output } = await pingsAcross(lab, lab.client, () => {
      hup(server);
      return server.waitForLog(/(WARN|INFO) {2}reload: reload on SIGHUP: .*/);
    });
    assert.match(line, /INFO {2}reload: reload on SIGHUP: certificates reloaded: certificate/);
    assert.match(line, new RegExp(`-> serial ${serials[2]}`));
    assert.equal(pings.received, PINGS_ACROSS, output);

    assert.equal(await servedSerial(lab), strip(serials[2]!));
    assert.ok(await running(server), "the server is still running after the HUP");
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
  },
});

Deno.test({
  name: "SIGHUP with a broken server.crt on disk keeps the running certificate and says why",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("hupbad");
    const configs = await lab.configs();
    await enableMonitoring(configs.serverConfig);
    const server = await lab.startServer(configs);
    await lab.startClient(configs);
    const before = await servedSerial(lab);
    await Deno.writeTextFile(`${lab.certDir}/server.crt`, "garbage, not a certificate\n");
    hup(server);
    const line = await server.waitForLog(/WARN {2}reload: .*/);
    assert.match(
      line,
      new RegExp(
        `certificate reload refused, still using serial ${before} .*: ${lab.certDir}/server\\.crt`,
      ),
    );
    assert.equal(await servedSerial(lab), before);
    const ping = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 3 });
    assert.ok(ping.ok, ping.output);
    assert.ok(await running(server));
    // Alertable: the refused reload is counted.
    const metrics = await lab.net.exec(lab.server, "curl", [
      "-s",
      `http://127.0.0.1:${MONITOR_PORT}/metrics`,
    ]);
    assert.match(metrics, /^sssonector_reloads_total\{result="kept"\} 1$/m);
    assert.match(metrics, /^sssonector_reloads_total\{result="swapped"\} 0$/m);
  },
});

Deno.test({
  name: "log rotation by rename and SIGHUP loses no line: the old file ends at the HUP",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("huplog");
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    await lab.startClient(configs);
    await Deno.rename(configs.serverLog, `${configs.serverLog}.1`);
    // A line logged between the rename and the HUP: a connection that sends no Hello.
    await servedSerial(lab);
    const rotated = `${configs.serverLog}.1`;
    const deadline = Date.now() + 15_000;
    while (
      !/authenticated as client[\s\S]*client .* disconnected/.test(
        await Deno.readTextFile(rotated),
      )
    ) {
      assert.ok(Date.now() < deadline, await Deno.readTextFile(rotated));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // logrotate's default: rename, then create the new file for the run user
    // (`create 0640 nobody nogroup`; configs/sssonector.logrotate makes it 0660 root:RUNGROUP).
    await Deno.writeTextFile(configs.serverLog, "");
    await Deno.chown(configs.serverLog, 65534, 65534);
    await Deno.chmod(configs.serverLog, 0o640);
    hup(server);
    await server.waitForLog(/reload on SIGHUP: .*log file reopened: .* \(a new file\)/);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    const old = await Deno.readTextFile(rotated);
    assert.match(old, /listening on/);
    assert.doesNotMatch(old, /reload on SIGHUP/);
    // Stopping writes its lines to the new file.
    await server.stop();
    const now = await Deno.readTextFile(configs.serverLog);
    assert.match(now, /reload on SIGHUP[\s\S]*received SIGTERM; shutting down[\s\S]*stopped/);
    assert.doesNotMatch(now, /listening on/);
  },
});

Deno.test({
  name: "SIGHUP after --revoke-cert closes the revoked client's live session",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("huprev");
    // A CRL from the start (revoking a spare certificate), so the configuration can name it.
    await lab.issue({ certDir: lab.certDir, clientName: "spare" });
    const spare = await runCli(["--revoke-cert", "spare", "--cert-dir", lab.certDir]);
    assert.equal(spare.code, 0, spare.stderr);
    const configs = await lab.configs();
    await Deno.writeTextFile(configs.serverConfig, `    crl_file: ${lab.certDir}/ca.crl\n`, {
      append: true,
    });
    const server = await lab.startServer(configs);
    const client = await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);

    const revoked = await runCli(["--revoke-cert", "client", "--cert-dir", lab.certDir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    hup(server);
    await server.waitForLog(/reload on SIGHUP: certificates reloaded: .*CRL number/);
    const told = await client.waitForLog(/disconnected from .*/);
    assert.match(told, /server closed the session: certificate refused: it is revoked/);
    const ping = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 2 });
    assert.equal(ping.ok, false, `the revoked client still reaches the tunnel:\n${ping.output}`);
    const sessions = (await server.log()).match(/authenticated as client/g) ?? [];
    // Its reconnects are refused before any session.
    await server.waitForLog(/refused: .*is revoked/);
    assert.ok(sessions.length >= 1);
  },
});

Deno.test({
  name: "logging.format json: every line of a real server's log is one JSON object",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("json");
    const configs = await lab.configs();
    const text = await Deno.readTextFile(configs.serverConfig);
    await Deno.writeTextFile(
      configs.serverConfig,
      text.replace("logging:\n", "logging:\n  format: json\n"),
    );
    const server = await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    hup(server);
    await server.waitForLog(/reload on SIGHUP/);
    const lines = (await server.log()).split("\n").filter((line) => line !== "");
    const records = lines.map((line) => JSON.parse(line));
    for (const record of records) {
      assert.deepEqual(
        ["time", "level", "component", "message"].filter((key) => typeof record[key] !== "string"),
        [],
        JSON.stringify(record),
      );
    }
    const listening = records.find((r) => r.message.startsWith("listening on"));
    assert.equal(listening?.component, "server");
    assert.equal(listening?.port, TUNNEL_PORT);
    assert.ok(records.some((r) => r.component === "server.session" && r.name === "client"));
  },
});
