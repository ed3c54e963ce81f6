/**
 * The .deb under a real systemd (252, PID 1 in systemd-nspawn, tests/lib/nspawn.ts): installed
 * with apt, the shipped unit started, reloaded, rotated, restarted, stopped and broken, a client in
 * another namespace carrying traffic, and purged at the end. Findings 1, 2, 3 and 8 of issue 18:
 * `systemctl reload` failed with "Operation not permitted", the unit could not start with
 * logging.file and looped forever on a configuration error, keys were root-only so a renewed
 * certificate was refused on SIGHUP, and `pidof sssonector` found nothing.
 */

import assert from "node:assert/strict";
import { run, runOk } from "../../tools/lab/netns_lab.ts";
import { BootedContainer, SHARED_INSIDE } from "../lib/nspawn.ts";
import { pollUntil } from "../lib/poll.ts";
import { LAUNCHER } from "../lib/e2e_lab.ts";
import { buildDebOnce } from "../lib/deb_build.ts";

const ignore = Deno.uid() !== 0;
const CERTS = "/etc/sssonector/certs";
const CONFIG = "/etc/sssonector/sssonector.yaml";
const LOG = "/var/log/sssonector/sssonector.log";

function serverConfig(withLogFile: boolean): string {
  return `mode: server
listen: 0.0.0.0:443
interface: tun0
address: 10.0.0.1/24
${withLogFile ? `logging:\n  file: ${LOG}\n` : ""}security:
  tls:
    cert_file: certs/server.crt
    key_file: certs/server.key
    ca_file: certs/ca.crt
    crl_file: certs/ca.crl
`;
}

/** Writes the server's configuration as an operator would: 0640 root:sssonector. */
function writeConfig(text: string): string {
  return `cat > ${CONFIG} <<'EOF'\n${text}EOF\nchgrp sssonector ${CONFIG} && chmod 0640 ${CONFIG}`;
}

async function show(container: BootedContainer, property: string): Promise<string> {
  return (await container.execOk(`systemctl show -p ${property} --value sssonector`)).trim();
}

/** The serial the server presents, as `openssl s_client` from the client's namespace sees it. */
async function servedSerial(container: BootedContainer, clientDir: string): Promise<string> {
  const result = await run("ip", [
    "netns",
    "exec",
    container.clientNs,
    "sh",
    "-c",
    `openssl s_client -connect ${container.ip}:443 -cert ${clientDir}/client.crt ` +
    `-key ${clientDir}/client.key -CAfile ${clientDir}/ca.crt </dev/null 2>/dev/null | ` +
    "openssl x509 -noout -serial",
  ]);
  return result.stdout.trim().replace(/^serial=/, "");
}

async function pingOk(ns: string): Promise<boolean> {
  return (await run("ip", ["netns", "exec", ns, "ping", "-c", "1", "-W", "1", "10.0.0.1"])).code ===
    0;
}

Deno.test({
  name: "the .deb's unit under a booted systemd: reload, log rotation, restart, stop, no loop",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const deb = await buildDebOnce();
    await using container = await BootedContainer.boot("u");
    await Deno.copyFile(deb, `${container.shared}/sssonector.deb`);
    const clientDir = `${container.shared}/client`;
    await Deno.mkdir(clientDir);
    let client: Deno.ChildProcess | undefined;
    try {
      await t.step("apt installs the package, its user and /etc/sssonector", async () => {
        await container.execOk(
          `apt-get install -y -q ${SHARED_INSIDE}/sssonector.deb >/dev/null 2>&1`,
        );
        const facts = await container.execOk(
          "getent passwd sssonector; stat -c '%U:%G %a' /etc/sssonector; readlink /usr/bin/sssonector",
        );
        assert.match(facts, /^sssonector:x:\d+:\d+:[^:]*:\/nonexistent:\/usr\/sbin\/nologin$/m);
        assert.match(facts, /^root:sssonector 750$/m);
        assert.match(facts, /^\/opt\/sssonector\/sssonector$/m);
      });

      await t.step(
        "--generate-certs makes keys 0640 and the folder 0750 for the run group",
        async () => {
          await container.execOk(
            `sssonector --generate-certs --server-ip ${container.ip} --cert-dir ${CERTS} >/dev/null && ` +
              `sssonector --refresh-crl --cert-dir ${CERTS} >/dev/null`,
          );
          const modes = await container.execOk(
            `stat -c '%n %U:%G %a' ${CERTS} ${CERTS}/server.key ${CERTS}/client.key ${CERTS}/ca.key`,
          );
          assert.match(modes, new RegExp(`^${CERTS} root:sssonector 750$`, "m"));
          assert.match(modes, /server\.key root:sssonector 640$/m);
          assert.match(modes, /client\.key root:sssonector 640$/m);
          assert.match(modes, /ca\.key root:root 600$/m, "the CA key stays root's alone");
          // The client runs on this machine, where the container's sssonector group means
          // nothing: its key is root's alone there.
          await container.execOk(
            `cp ${CERTS}/ca.crt ${CERTS}/client.crt ${CERTS}/client.key ${SHARED_INSIDE}/client/` +
              ` && chgrp root ${SHARED_INSIDE}/client/client.key` +
              ` && chmod 0600 ${SHARED_INSIDE}/client/client.key`,
          );
          await container.execOk(writeConfig(serverConfig(false)));
          const check = await container.exec(`sssonector --check-config -config ${CONFIG}`);
          assert.equal(check.code, 0, check.stderr);
          assert.equal(check.stderr, "", "no file the run user could not re-read");
        },
      );

      const before = await container.execOk(
        "systemd-analyze security --no-pager sssonector.service | tail -n 1",
      );
      await t.step("starts without logging.file, Type=notify, dropped to sssonector", async () => {
        await container.execOk("systemctl enable --now sssonector");
        assert.equal(await show(container, "ActiveState"), "active");
        assert.match(await show(container, "StatusText"), /listening on 0\.0\.0\.0:443/);
        const mainPid = await show(container, "MainPID");
        assert.equal((await container.execOk("pidof sssonector")).trim(), mainPid);
        assert.match(
          await container.execOk(`ps -o user:20=,comm= -p ${mainPid}`),
          /^sssonector\s+sssonector$/m,
        );
        assert.match(
          await container.execOk("journalctl -u sssonector --no-pager -o cat"),
          /dropped privileges to sssonector:sssonector/,
        );
      });

      await t.step("a client in another namespace carries traffic through the tunnel", async () => {
        await Deno.writeTextFile(
          `${clientDir}/client.yaml`,
          `mode: client\nserver: ${container.ip}:443\ninterface: tun0\naddress: 10.0.0.2/24\n` +
            "security:\n  tls:\n    cert_file: client.crt\n    key_file: client.key\n" +
            "    ca_file: ca.crt\n",
        );
        client = new Deno.Command("ip", {
          args: [
            "netns",
            "exec",
            container.clientNs,
            "sh",
            "-c",
            `exec ${LAUNCHER} -config ${clientDir}/client.yaml >${clientDir}/client.out 2>&1`,
          ],
          stdin: "null",
        }).spawn();
        await pollUntil(() => pingOk(container.clientNs), "a ping through the tunnel", {
          timeoutMs: 30_000,
          intervalMs: 200,
        }).catch(async (error) => {
          const out = await Deno.readTextFile(`${clientDir}/client.out`).catch(() => "");
          throw new Error(`${error.message}; the client said:\n${out}`);
        });
      });

      await t.step("starts with logging.file, and again once the file exists", async () => {
        await container.execOk(writeConfig(serverConfig(true)));
        for (const round of [1, 2]) {
          await container.execOk("systemctl restart sssonector");
          assert.equal(await show(container, "ActiveState"), "active", `restart ${round}`);
          await pollUntil(() => pingOk(container.clientNs), "the client back", {
            timeoutMs: 30_000,
            intervalMs: 200,
          });
        }
        const log = await container.execOk(`stat -c '%U:%G %a' ${LOG}; cat ${LOG}`);
        assert.match(log, /^root:sssonector 660$/m);
        assert.equal(log.match(/starting in server mode/g)?.length, 2, log);
      });

      await t.step("the watchdog is fed (WatchdogTimestamp advances)", async () => {
        assert.equal(await show(container, "WatchdogUSec"), "30s");
        const first = await show(container, "WatchdogTimestampMonotonic");
        await pollUntil(
          async () => (await show(container, "WatchdogTimestampMonotonic")) !== first,
          "a WATCHDOG=1 (every 15 s)",
          { timeoutMs: 20_000, intervalMs: 500 },
        );
      });

      await t.step("reload after --renew serves the new serial", async () => {
        const renewed = await container.execOk(`sssonector --renew server --cert-dir ${CERTS}`);
        const serial = /serial [0-9A-F]+ -> ([0-9A-F]+)/.exec(renewed)?.[1];
        assert.ok(serial, renewed);
        assert.match(
          await container.execOk(`stat -c '%U:%G %a' ${CERTS}/server.key`),
          /root:sssonector 640/,
        );
        await container.execOk("systemctl reload sssonector");
        await pollUntil(
          async () => (await servedSerial(container, clientDir)).toUpperCase() === serial,
          `the server to present serial ${serial}`,
          { timeoutMs: 15_000, intervalMs: 200 },
        );
        assert.match(
          await container.execOk(`cat ${LOG}`),
          /certificates reloaded|serial [0-9A-F]+ ->/,
        );
        assert.equal(await show(container, "ActiveState"), "active");
      });

      await t.step(
        "logrotate -f with the shipped file: new lines land in the new file",
        async () => {
          await container.execOk("logrotate -f /etc/logrotate.d/sssonector");
          await pollUntil(
            async () =>
              /log file reopened: .* \(a new file\)/.test(await container.execOk(`cat ${LOG}`)),
            "the reopen line in the new file",
            { timeoutMs: 15_000, intervalMs: 200 },
          );
          const files = await container.execOk(
            `stat -c '%U:%G %a' ${LOG}; grep -c 'starting in server mode' ${LOG}.1 ${LOG} || true`,
          );
          assert.match(files, /^root:sssonector 660$/m);
          assert.match(files, /\.log\.1:2$/m, "the old lines stay in the renamed file");
          assert.match(files, /\.log:0$/m, "and only new ones go to the new file");
        },
      );

      await t.step("reload after --revoke-cert ends the live session", async () => {
        assert.ok(await pingOk(container.clientNs), "the session is up before");
        await container.execOk(`sssonector --revoke-cert client --cert-dir ${CERTS} >/dev/null`);
        await container.execOk("systemctl reload sssonector");
        await pollUntil(async () => !(await pingOk(container.clientNs)), "the session to end", {
          timeoutMs: 15_000,
          intervalMs: 200,
        });
        assert.equal(await show(container, "ActiveState"), "active");
      });

      await t.step("stop removes tun0 and the process", async () => {
        await container.execOk("systemctl stop sssonector");
        assert.notEqual((await container.exec("ip link show tun0")).code, 0);
        assert.notEqual((await container.exec("pidof sssonector")).code, 0);
      });

      await t.step(
        "a broken configuration fails once with exit 2 and is not restarted",
        async () => {
          await container.execOk(writeConfig("mode: bogus\n"));
          const start = await container.exec("systemctl start sssonector");
          assert.notEqual(start.code, 0);
          assert.equal(await show(container, "ExecMainStatus"), "2");
          // RestartSec=5s: a restart would have happened by now.
          await new Promise((resolve) => setTimeout(resolve, 6_000));
          assert.equal(await show(container, "ActiveState"), "failed");
          assert.equal(await show(container, "NRestarts"), "0");
        },
      );

      const after = await container.execOk(
        "systemd-analyze security --no-pager sssonector.service | tail -n 1",
      );
      const exposure = Number(/: ([0-9.]+)/.exec(after)?.[1]);
      console.log(`systemd-analyze security: ${before.trim()} / ${after.trim()}`);
      assert.ok(exposure <= 4.0, `exposure ${exposure}: the unit was 4.0 before issue 18`);

      await t.step("purge leaves nothing behind", async () => {
        await container.execOk("apt-get purge -y -q sssonector >/dev/null 2>&1");
        const left = await container.exec(
          "ls -d /opt/sssonector /usr/bin/sssonector /etc/sssonector /var/log/sssonector " +
            "/lib/systemd/system/sssonector.service /etc/logrotate.d/sssonector " +
            "/etc/systemd/system/multi-user.target.wants/sssonector.service 2>/dev/null; " +
            "getent passwd sssonector; getent group sssonector; dpkg -s sssonector 2>/dev/null | grep Status",
        );
        assert.equal(left.stdout.trim(), "", left.stdout);
      });
    } finally {
      if (client) {
        try {
          client.kill("SIGTERM");
        } catch { /* gone */ }
        await client.status;
      }
      await runOk("true", []);
    }
  },
});
