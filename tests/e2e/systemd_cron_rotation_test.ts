/**
 * Rotation without systemd (the cron path), on a live process: the shipped
 * configs/sssonector-cron.logrotate with the tunnel's pid_file. Finding 8 of issue 18: the old
 * postrotate (`systemctl reload … || true`) failed silently without systemd and lines kept going
 * into the renamed file; there was no pid file, and the process was called deno, so `pidof
 * sssonector` and `pkill -HUP sssonector` found nothing.
 */

import assert from "node:assert/strict";
import { run, runOk } from "../../tools/lab/netns_lab.ts";
import { generateCertificates } from "../../src/pki/generate.ts";
import { LAUNCHER } from "../lib/e2e_lab.ts";
import { pollUntil } from "../lib/poll.ts";
import { readDefaultRunAccount } from "../../src/account/run_account.ts";

const ignore = Deno.uid() !== 0;
const ROOT = new URL("../../", import.meta.url).pathname;

/** The shipped file with this test's folder for /var/log and /run, and the host's run group. */
function localised(shipped: string, dir: string, group: string): string {
  const replacements: Array<[string, string]> = [
    ["/var/log/sssonector/*.log /var/log/sssonector.log", `${dir}/log/*.log`],
    ["/run/sssonector/sssonector.pid", `${dir}/run/sssonector.pid`],
    ["create 0660 root sssonector", `create 0660 root ${group}`],
  ];
  let text = shipped;
  for (const [from, to] of replacements) {
    assert.ok(text.includes(from), `configs/sssonector-cron.logrotate no longer has "${from}"`);
    text = text.replaceAll(from, to);
  }
  return text;
}

Deno.test({
  name: "without systemd: pid_file, pidof sssonector, and logrotate's SIGHUP moves new lines",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: `sss-cron-${Deno.pid}-` });
    const ns = `sss-cr${Deno.pid % 100000}`;
    let child: Deno.ChildProcess | undefined;
    try {
      const account = await readDefaultRunAccount();
      assert.ok(account, "no run user (sssonector or nobody) on this host");
      // The process that dropped root must reach its log folder and remove its pid file.
      await Deno.chmod(dir, 0o755);
      await Deno.mkdir(`${dir}/log`, { mode: 0o750 });
      await Deno.chown(`${dir}/log`, 0, account.gid);
      await Deno.chmod(`${dir}/log`, 0o750);
      await Deno.mkdir(`${dir}/run`);
      await Deno.chown(`${dir}/run`, account.uid, account.gid);
      await generateCertificates({
        certDir: `${dir}/certs`,
        serverIp: "10.99.0.1",
        serverNames: [],
        clientName: "client",
        keyType: "ecdsa-p256",
        days: 30,
        force: false,
      });
      const config = `${dir}/server.yaml`;
      await Deno.writeTextFile(
        config,
        `mode: server\nlisten: 127.0.0.1:443\ninterface: tun0\naddress: 10.0.0.1/24\n` +
          `pid_file: ${dir}/run/sssonector.pid\nlogging:\n  file: ${dir}/log/sssonector.log\n` +
          "security:\n  tls:\n    cert_file: certs/server.crt\n    key_file: certs/server.key\n" +
          "    ca_file: certs/ca.crt\n",
      );
      const shipped = await Deno.readTextFile(`${ROOT}configs/sssonector-cron.logrotate`);
      await Deno.writeTextFile(`${dir}/logrotate.conf`, localised(shipped, dir, account.group));
      await runOk("ip", ["netns", "add", ns]);
      await runOk("ip", ["-n", ns, "link", "set", "lo", "up"]);
      child = new Deno.Command("ip", {
        args: ["netns", "exec", ns, LAUNCHER, "-config", config],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      const pid = child.pid;
      const pidFile = `${dir}/run/sssonector.pid`;
      await pollUntil(
        async () => (await Deno.readTextFile(pidFile).catch(() => "")) === `${pid}\n`,
        "the pid file with the process's pid",
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      assert.equal((await Deno.readTextFile(`/proc/${pid}/comm`)).trim(), "sssonector");
      const pidof = await runOk("pidof", ["sssonector"]);
      assert.ok(pidof.trim().split(" ").includes(String(pid)), pidof);
      const log = `${dir}/log/sssonector.log`;
      await pollUntil(
        async () => /Deno permissions revoked/.test(await Deno.readTextFile(log)),
        "the drop",
      );
      const rotated = await run("logrotate", ["-f", "-s", `${dir}/state`, `${dir}/logrotate.conf`]);
      assert.equal(rotated.code, 0, rotated.stderr);
      await pollUntil(
        async () =>
          /log file reopened: .* \(a new file\)/.test(await Deno.readTextFile(log).catch(() => "")),
        "the reopen line in the new file",
      );
      const old = await Deno.readTextFile(`${log}.1`);
      assert.match(old, /starting in server mode/);
      assert.doesNotMatch(old, /reload on SIGHUP/);
      const info = await Deno.stat(log);
      assert.equal((info.mode ?? 0) & 0o777, 0o660);
      assert.equal(info.gid, account.gid);
      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0);
      child = undefined;
      assert.match(await Deno.readTextFile(log), /stopped/);
      await assert.rejects(Deno.stat(pidFile), Deno.errors.NotFound, "the pid file is removed");
    } finally {
      if (child) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
        await child.status;
      }
      await run("ip", ["netns", "del", ns]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
