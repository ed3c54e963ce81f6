/**
 * The privilege drop in a real process: tests/lib/privilege_probe.ts opens a TUN device as root
 * in a fresh namespace, drops to nobody:nogroup, and stays alive; this test reads every thread of
 * that process in /proc, pings through its TUN, and checks what it reported it could and could
 * not do. Needs root; skipped otherwise.
 */
import assert from "node:assert/strict";
import { run, runOk } from "../../tools/lab/netns_lab.ts";
import {
  readThreadCredentials,
  type ThreadCredentials,
} from "../../src/privilege/thread_credentials.ts";
import { CLIENT_TUNNEL_IP, E2eLab, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";

const PROBE = new URL("../lib/privilege_probe.ts", import.meta.url).pathname;
const NOBODY = 65534;
const EPERM = 1;

/** Reads lines from a child's stdout one at a time; `cancel` lets go of the rest. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  return {
    async next(): Promise<string | undefined> {
      while (!pending.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) return pending === "" ? undefined : pending;
        pending += value;
      }
      const newline = pending.indexOf("\n");
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      return line;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

Deno.test({
  name:
    "after dropPrivileges() every thread is nobody with no capabilities, NoNewPrivs and seccomp; " +
    "the TUN still works, exec and /etc/shadow do not",
  ignore: Deno.uid() !== 0,
  async fn() {
    const ns = `sss-privprobe-${Deno.pid}`;
    await runOk("ip", ["netns", "add", ns]);
    await runOk("ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
    let child: Deno.ChildProcess | undefined;
    let stderr: Promise<string> | undefined;
    let lines: ReturnType<typeof lineReader> | undefined;
    try {
      child = new Deno.Command("ip", {
        args: ["netns", "exec", ns, Deno.execPath(), "run", "-A", "--quiet", PROBE, "nobody"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      stderr = new Response(child.stderr).text();
      lines = lineReader(child.stdout);
      const line = await lines.next() ?? "";
      assert.ok(line.startsWith("{"), `probe printed no report: ${line}`);
      const report = JSON.parse(line);

      // Every thread of the live process, read from outside.
      const threads: ThreadCredentials[] = await readThreadCredentials(report.pid);
      console.log(
        threads.map((t) =>
          `  task ${t.tid} ${t.name}: Uid ${t.uid.join(" ")} CapEff ${t.capEff} ` +
          `NoNewPrivs ${t.noNewPrivs} Seccomp ${t.seccomp}`
        ).join("\n"),
      );
      assert.ok(threads.length > 1, "Deno runs several threads");
      assert.ok(
        threads.some((t) => !report.tidsBefore.includes(t.tid)),
        "a thread started after the drop is among them",
      );
      for (const t of threads) {
        const where = `task ${t.tid} (${t.name})`;
        assert.deepEqual(t.uid, [NOBODY, NOBODY, NOBODY, NOBODY], `${where} Uid`);
        assert.deepEqual(t.gid, [NOBODY, NOBODY, NOBODY, NOBODY], `${where} Gid`);
        assert.deepEqual(t.groups, [NOBODY], `${where} Groups`);
        assert.equal(t.capEff, "0000000000000000", `${where} CapEff`);
        assert.equal(t.capPrm, "0000000000000000", `${where} CapPrm`);
        assert.equal(t.noNewPrivs, 1, `${where} NoNewPrivs`);
        assert.equal(t.seccomp, 2, `${where} Seccomp`);
      }

      assert.deepEqual(report.account, {
        user: "nobody",
        uid: NOBODY,
        group: "nogroup",
        gid: NOBODY,
        groups: [NOBODY],
      });
      // Refused by the filter, not by a missing file or permission: EPERM.
      assert.equal(report.exec.ok, false, `exec ran: ${JSON.stringify(report.exec)}`);
      assert.equal(report.exec.error, "PermissionDenied", report.exec.message);
      assert.match(report.exec.message, /os error 1\b/);
      assert.equal(report.shadow.ok, false, "/etc/shadow was readable");
      assert.equal(report.shadow.error, "PermissionDenied", report.shadow.message);
      assert.deepEqual(report.unshare, { rc: -1, errno: EPERM }, "unshare(CLONE_NEWUSER)");
      assert.equal(report.configureAgain.ok, false, "a second TUN device was created");
      // /dev/net/tun is 0600 root on some hosts, 0666 on others: the open or the create fails.
      assert.match(
        report.configureAgain.message,
        /^cannot (open \/dev\/net\/tun|create interface priv1): permission denied/,
      );
      assert.equal(report.worker, 42, "a Web Worker (a new thread) started and answered");
      assert.deepEqual(report.socket, { ok: true, value: 7 }, "listen, resolve, connect, echo");
      // Leaving uid 0 made the process non-dumpable: the files of its /proc entry belong to
      // root, and processes of the same user cannot ptrace it or read its memory.
      assert.equal((await Deno.stat(`/proc/${report.pid}/environ`)).uid, 0, "environ owner");
      assert.deepEqual(report.tun, { written: 1, replies: 1 }, "TUN write and read after the drop");

      // Pings from the kernel go out through priv0 and the dropped process answers them.
      const ping = await run("ip", [
        "netns",
        "exec",
        ns,
        "ping",
        "-c",
        "3",
        "-i",
        "0.2",
        "-W",
        "2",
        "10.97.0.2",
      ]);
      assert.equal(ping.code, 0, `ping through the dropped process failed:\n${ping.stdout}`);
      await child.stdin.close();
      const last = JSON.parse((await lines.next()) ?? "{}");
      assert.ok(last.answered >= 3, `the probe answered ${last.answered} pings`);
      const status = await child.status;
      assert.equal(status.code, 0, await stderr);
      // Closing the device as nobody still removes the interface, as a stopping tunnel needs.
      const link = await run("ip", ["netns", "exec", ns, "ip", "link", "show", "priv0"]);
      assert.notEqual(link.code, 0, "priv0 outlived the process that dropped privileges");
    } finally {
      if (child) {
        await child.stdin.close().catch(() => {});
        try {
          child.kill("SIGKILL");
        } catch { /* already exited */ }
        await child.status;
        await lines?.cancel();
        await stderr?.catch(() => "");
      }
      await run("ip", ["netns", "del", ns]);
    }
  },
});

/**
 * Every task of a live process, as the privilege drop must leave it. With `netAdminThread`, exactly
 * one task, the shim's `sss-netlink`, keeps CAP_NET_ADMIN (bit 12) and nothing else.
 */
async function assertDropped(
  pid: number,
  who: string,
  { netAdminThread = false } = {},
): Promise<ThreadCredentials[]> {
  const threads = await readThreadCredentials(pid);
  console.log(
    `${who} (pid ${pid}):\n` +
      threads.map((t) =>
        `  task ${t.tid} ${t.name}: Uid ${t.uid.join(" ")} Gid ${t.gid.join(" ")} ` +
        `CapEff ${t.capEff} NoNewPrivs ${t.noNewPrivs} Seccomp ${t.seccomp}`
      ).join("\n"),
  );
  assert.ok(threads.length > 1, `${who}: Deno runs several threads`);
  const keepers = threads.filter((t) => t.name === "sss-netlink");
  assert.equal(keepers.length, netAdminThread ? 1 : 0, `${who}: threads keeping CAP_NET_ADMIN`);
  for (const t of threads) {
    const where = `${who} task ${t.tid} (${t.name})`;
    const caps = keepers.includes(t) ? "0000000000001000" : "0000000000000000";
    assert.deepEqual(t.uid, [NOBODY, NOBODY, NOBODY, NOBODY], `${where} Uid`);
    assert.deepEqual(t.gid, [NOBODY, NOBODY, NOBODY, NOBODY], `${where} Gid`);
    assert.equal(t.capEff, caps, `${where} CapEff`);
    assert.equal(t.capPrm, caps, `${where} CapPrm`);
    assert.equal(t.noNewPrivs, 1, `${where} NoNewPrivs`);
    assert.equal(t.seccomp, 2, `${where} Seccomp`);
  }
  return threads;
}

/** Adds network keys to a lab configuration file. */
async function addNetworkKeys(file: string, keys: string): Promise<void> {
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replace("network:\n", `network:\n${keys}`));
}

Deno.test({
  name: "a real server and client started as root run as nobody on every thread after setup, " +
    "and the tunnel still pings, keeps alive, logs and reconnects",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("drop");
    // The lab lays files out as the docs say (keys 0640 root:nogroup, folders searchable),
    // except the client's key, made 0600 root here: the client must warn that it cannot reload.
    await Deno.chmod(`${lab.certDir}/client.key`, 0o600);
    await Deno.chown(`${lab.certDir}/client.key`, 0, 0);
    const configs = await lab.configs();
    // Keepalive every second and a peer dead after 3 s of silence: an idle tunnel that stays up
    // shows the keepalive still runs after the drop.
    for (const file of [configs.serverConfig, configs.clientConfig]) {
      await addNetworkKeys(file, "  keepalive_interval: 1\n  peer_timeout: 3\n");
    }
    const server = await lab.startServer(configs);
    const client = await lab.startClient(configs);
    await server.waitForLog(/dropped privileges to nobody:nogroup \(uid 65534, gid 65534\)/);
    await client.waitForLog(/dropped privileges to nobody:nogroup \(uid 65534, gid 65534\)/);
    await server.waitForLog(/Deno permissions revoked after setup: run, env, sys, ffi/);
    await client.waitForLog(/Deno permissions revoked after setup: run, env, sys, ffi/);
    assert.equal(await Deno.readTextFile(`/proc/${server.child.pid}/comm`), "sssonector\n");
    await assertDropped(server.child.pid, "server");
    // accept_routes (the default) keeps CAP_NET_ADMIN on one shim thread for pushed routes.
    await assertDropped(client.child.pid, "client", { netAdminThread: true });
    assert.doesNotMatch(await server.log(), /cannot read/, "the server can read its files");
    assert.match(
      await client.log(),
      /WARN .*nobody:nogroup cannot read security\.tls\.key_file .*client\.key \(permission denied\): a certificate reload \(SIGHUP\) will be refused.*chgrp nogroup .*client\.key && chmod 640/,
    );

    const up = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 3 });
    assert.ok(up.ok, up.output);
    const down = await lab.ping(lab.server, CLIENT_TUNNEL_IP, { count: 3 });
    assert.ok(down.ok, down.output);

    // Idle for longer than peer_timeout: only keepalive pings keep the session.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    assert.doesNotMatch(await client.log(), /disconnected/);
    assert.doesNotMatch(await server.log(), /disconnected/);
    const idle = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 1 });
    assert.ok(idle.ok, idle.output);

    // A restarted server: the dropped client reconnects, and logs it.
    assert.equal((await server.stop()).code, 0, "server exit code on SIGTERM");
    assert.equal(await lab.hasLink(lab.server, "tun0"), false, "the dropped server left tun0");
    await client.waitForLog(/disconnected from 198\.18\.0\.1:443/);
    const again = await lab.configs();
    const second = await lab.startServer(again);
    await second.waitForLog(/dropped privileges to nobody/);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP, 15_000);
    const connects = (await client.log()).match(/connected to 198\.18\.0\.1:443/g) ?? [];
    assert.equal(connects.length, 2, `expected a reconnect in:\n${await client.log()}`);
    await assertDropped(client.child.pid, "client after the reconnect", { netAdminThread: true });
    await assertDropped(second.child.pid, "restarted server");

    assert.equal((await client.stop()).code, 0, "client exit code on SIGTERM");
    assert.equal(await lab.hasLink(lab.client, "tun0"), false, "the dropped client left tun0");
    assert.match(await client.log(), /stopped/);
  },
});

Deno.test({
  name: "an unknown security.user is a configuration error before setup; security.user: root " +
    "keeps root and warns",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("runas");
    const configs = await lab.configs();
    const base = await Deno.readTextFile(configs.serverConfig);
    await Deno.writeTextFile(
      configs.serverConfig,
      base.replace("security:\n", "security:\n  user: nosuchuser\n"),
    );
    const typo = lab.start(lab.server, configs.serverConfig, configs.serverLog);
    assert.equal((await typo.child.status).code, 2);
    assert.equal(
      (await typo.stderr()).trim(),
      `${configs.serverConfig}: security.user: unknown user "nosuchuser": it is not in /etc/passwd`,
    );
    assert.equal(await lab.hasLink(lab.server, "tun0"), false, "no tun0 was made");

    await Deno.writeTextFile(
      configs.serverConfig,
      base.replace("security:\n", "security:\n  user: root\n"),
    );
    const root = await lab.startServer(configs);
    await root.waitForLog(/WARN .*security\.user is root: the tunnel keeps every root privilege/);
    const threads = await readThreadCredentials(root.child.pid);
    assert.ok(threads.every((t) => t.uid[1] === 0 && t.seccomp === 0), "root kept, no filter");
  },
});
