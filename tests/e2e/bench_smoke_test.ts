/**
 * `./sssonector bench --quick` end to end: the real launcher, a real lab, real processes. Checks
 * that every row is reported and the JSON is complete; never how fast anything is.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

interface JsonMemory {
  rssKiB: number;
  pssKiB: number;
  privateKiB: number;
}

interface JsonRow {
  id: string;
  status: string;
  measurement: {
    clientToServerBps: number;
    serverToClientBps: number;
    processes: { role: string; idle: JsonMemory; loaded: JsonMemory }[];
    floodPing: { sent: number; received: number; avgMs: number } | null;
  } | null;
}

Deno.test({
  name:
    "sssonector bench --quick --rounds 2 reports every row, the spread, and a parseable JSON report",
  ignore: Deno.uid() !== 0,
  async fn() {
    const output = await new Deno.Command(`${ROOT}sssonector`, {
      args: ["bench", "--quick", "--rounds", "2"],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // A hung run is killed (SIGTERM: the bench cleans its lab up) rather than blocking CI.
      signal: AbortSignal.timeout(360_000),
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    const resultPath = /^results: (\/.+\.json)$/m.exec(stdout)?.[1];
    try {
      assert.equal(output.code, 0, `exit ${output.code}\n${stdout}\n${stderr}`);
      for (
        const row of [
          /^veth \(no tunnel\) /m,
          /^sssonector offload on /m,
          /^sssonector offload off /m,
        ]
      ) {
        assert.match(stdout, row);
      }
      assert.match(stdout, /^openvpn-tcp /m);
      if (/^openvpn-tcp +(skipped|failed) /m.test(stdout)) {
        assert.match(stdout, /^note: openvpn-tcp: (skipped|failed): /m);
      }

      assert.ok(resultPath, `no "results:" line in:\n${stdout}`);
      const report = JSON.parse(await Deno.readTextFile(resultPath));
      assert.equal(report.schema, "sssonector-bench/2");
      assert.equal(report.settings.quick, true);
      assert.equal(report.settings.rounds, 2);
      assert.equal(report.rounds.length, 2);
      for (const round of report.rounds as JsonRow[][]) assert.equal(round.length, 6);
      assert.match(stdout, /^==> round 2 of 2$/m);
      const tunnelSpread = (report.spread as Array<{ id: string; rounds: number }>)
        .find((spread) => spread.id === "sssonector-offload-on");
      assert.equal(tunnelSpread?.rounds, 2);
      if (/^openvpn-tcp +[0-9]/m.test(stdout)) {
        assert.match(stdout, /^ratio against openvpn-tcp in each round, lowest\.\.highest:$/m);
      }
      const rows = report.rows as JsonRow[];
      assert.deepEqual(rows.map((row) => row.id), [
        "veth",
        "sssonector-offload-on",
        "sssonector-offload-off",
        "openvpn-tcp",
        "openvpn-udp",
        "wireguard-go",
      ]);
      assert.match(stdout, /^openvpn-udp /m);
      assert.match(stdout, /^wireguard-go /m);
      // The memory table: RSS/PSS/private idle and loaded, for each end of each tunnel.
      assert.match(stdout, /^memory MiB, rss\/pss\/private/m);
      assert.match(stdout, /^sssonector offload on +[0-9.]+\/[0-9.]+\/[0-9.]+ /m);
      for (const row of rows.filter((row) => row.id.startsWith("sssonector-"))) {
        assert.equal(row.status, "ok", row.id);
        assert.ok(row.measurement!.clientToServerBps > 0, `${row.id} client to server`);
        assert.ok(row.measurement!.serverToClientBps > 0, `${row.id} server to client`);
        assert.deepEqual(row.measurement!.processes.map((p) => p.role), ["server", "client"]);
        // The flood ping went through the tunnel: answered, with a finite average.
        const flood = row.measurement!.floodPing!;
        assert.ok(flood.received > 0 && Number.isFinite(flood.avgMs), `${row.id} flood ping`);
        for (const p of row.measurement!.processes) {
          for (const sample of [p.idle, p.loaded]) {
            // Private memory is part of PSS, which is part of RSS.
            assert.ok(sample.privateKiB > 0 && sample.privateKiB <= sample.pssKiB, row.id);
            assert.ok(sample.pssKiB <= sample.rssKiB, row.id);
          }
        }
      }
    } finally {
      if (resultPath) await Deno.remove(resultPath).catch(() => {});
    }
  },
});
