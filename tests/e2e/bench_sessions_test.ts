/**
 * `./sssonector bench --sessions 20 --quick` end to end: the real launcher, a real lab, a real
 * server and the protocol-level session generator. Checks that every level is reached and
 * reported, keepalives flow and new clients are admitted; never how fast or how big anything is.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

interface JsonLevel {
  sessions: number;
  memory: { rssKiB: number; pssKiB: number; privateKiB: number };
  fds: number;
  rtt: { samples: number };
  admissionMs: number[];
  lost: number;
}

Deno.test({
  name: "sssonector bench --sessions 20 --quick holds every level, answers keepalives, admits more",
  ignore: Deno.uid() !== 0,
  async fn() {
    const output = await new Deno.Command(`${ROOT}sssonector`, {
      args: ["bench", "--sessions", "20", "--quick"],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // A hung run is killed (SIGTERM: the bench cleans its lab up) rather than blocking CI.
      signal: AbortSignal.timeout(240_000),
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    const resultPath = /^results: (\/.+\.json)$/m.exec(stdout)?.[1];
    try {
      assert.equal(output.code, 0, `exit ${output.code}\n${stdout}\n${stderr}`);
      assert.match(stdout, /^sessions +srv MiB rss\/pss\/priv /m);
      assert.match(stdout, /^per session: RSS -?[0-9.]+ KiB, private -?[0-9.]+ KiB/m);
      assert.ok(resultPath, `no "results:" line in:\n${stdout}`);
      const report = JSON.parse(await Deno.readTextFile(resultPath));
      assert.equal(report.schema, "sssonector-bench-sessions/1");
      const levels = report.levels as JsonLevel[];
      assert.deepEqual(levels.map((level) => level.sessions), [0, 2, 5, 10, 20]);
      for (const level of levels) {
        assert.ok(level.memory.privateKiB <= level.memory.rssKiB, `${level.sessions}`);
        // A descriptor per session at least.
        assert.ok(level.fds >= level.sessions, `${level.sessions}: ${level.fds} fds`);
        assert.equal(level.lost, 0, `${level.sessions}: sessions ended by the server`);
      }
      for (const level of levels.slice(1)) {
        assert.equal(level.admissionMs.length, 3, `${level.sessions}: every probe admitted`);
      }
      // Keepalive round trips were measured with 20 sessions up (one Ping each per 10 s).
      assert.ok(levels.at(-1)!.rtt.samples > 0, stdout);
    } finally {
      if (resultPath) await Deno.remove(resultPath).catch(() => {});
    }
  },
});
