/**
 * Issue 22, item 4: a node:net listener in Deno stops accepting for good after one EMFILE. With
 * the server's soft descriptor limit lowered to 300 at run time (its own user can do that), a
 * flood of idle connections runs it out; once the flood is gone and the limit restored, new
 * clients must get in again, and /readyz must have said "not ready" while the listener was dead.
 */
import assert from "node:assert/strict";
import { E2eLab, TUNNEL_PORT } from "../lib/e2e_lab.ts";
import { run, runOk } from "../../tools/lab/netns_lab.ts";
import { pollUntil } from "../lib/poll.ts";

const root = Deno.uid() === 0;
const MONITOR_PORT = 19092;

/**
 * `prlimit` on the server as its own user (nobody), as anyone sharing that user can: this
 * machine's root lacks CAP_SYS_RESOURCE over another user's process.
 */
function prlimitAsServer(pid: number, soft: string, check: boolean) {
  const args = [
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "prlimit",
    "--pid",
    String(pid),
    `--nofile=${soft}:`,
  ];
  return check ? runOk("setpriv", args) : run("setpriv", args);
}

async function hardFileLimit(pid: number): Promise<string> {
  const limits = await Deno.readTextFile(`/proc/${pid}/limits`);
  const line = limits.split("\n").find((l) => l.startsWith("Max open files"))!;
  return line.trim().split(/\s+/)[4]!;
}

/** Runs the server out of descriptors once; `unprivilegedPorts` lets nobody bind port 443. */
async function exhaust(tag: string, unprivilegedPorts: boolean) {
  const lab = await E2eLab.create(tag);
  try {
    const attacker = await lab.addHost();
    if (unprivilegedPorts) {
      await lab.net.exec(lab.server, "sysctl", ["-qw", "net.ipv4.ip_unprivileged_port_start=0"]);
    }
    const configs = await lab.configs({
      serverExtra: `monitoring:\n  enabled: true\n  port: ${MONITOR_PORT}\n`,
      // One attacker address may hold as many places as it likes: the descriptors run out first.
      serverSecurity: { max_pending_per_source: 65536, max_pending_per_network4: 65536 },
    });
    const server = await lab.startServer(configs);
    const pid = server.child.pid;
    const hard = await hardFileLimit(pid);
    // /readyz, every 100 ms until the end of the test.
    const seen: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const out = await lab.net.try(lab.server, "curl", [
          "-s",
          "-m",
          "1",
          "-w",
          " %{http_code}",
          `http://127.0.0.1:${MONITOR_PORT}/readyz`,
        ]);
        seen.push(out.stdout.trim());
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const stopWatching = async () => {
      watching = false;
      await watcher;
    };
    try {
      await prlimitAsServer(pid, "300", true);
      const flood = lab.spawnStranger(attacker, [
        "idle",
        lab.server.ip,
        String(TUNNEL_PORT),
        "600",
        "3000",
      ]);
      console.log(`flood: ${JSON.stringify(await flood.done)}`);
      // Without unprivileged ports the server may have exited already, during the flood: its
      // watchdog found the listener dead and could not bind 443 again. No limit to restore then.
      const exited = await Promise.race([
        server.child.status.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
      ]);
      if (unprivilegedPorts || !exited) await prlimitAsServer(pid, hard, true);
    } catch (error) {
      await stopWatching();
      await prlimitAsServer(pid, hard, false);
      throw error;
    }
    return { lab, server, configs, seen, stopWatching };
  } catch (error) {
    await lab[Symbol.asyncDispose]();
    throw error;
  }
}

Deno.test({
  name:
    "after running out of descriptors the listener is replaced: /readyz says not ready meanwhile, and new clients get in",
  ignore: !root,
  async fn() {
    const { lab, server, configs, seen, stopWatching } = await exhaust("emfile", true);
    await using _lab = lab;
    try {
      const started = performance.now();
      const client = lab.start(lab.client, configs.clientConfig, configs.clientLog);
      await client.waitForLog(/connected to .*/, 60_000);
      console.log(
        `a new client connected ${((performance.now() - started) / 1000).toFixed(1)} s after ` +
          "the limit was restored",
      );
      await server.waitForLog(/the listener accepts connections again/);
      // /readyz after it: an answer asked for after the line (one in flight may predate it).
      const after = seen.length + 1;
      await pollUntil(() => seen.length > after, "two /readyz answers after the listener is back", {
        timeoutMs: 15_000,
        intervalMs: 50,
      });
    } finally {
      await stopWatching();
    }
    const log = await server.log();
    assert.match(log, /the listener stopped accepting/);
    const notReady = seen.filter((line) => / 503$/.test(line));
    console.log(`/readyz answers: ${seen.length}, 503: ${notReady.length} (${notReady[0]})`);
    assert.ok(notReady.some((line) => /stopped accepting/.test(line)), seen.join("\n"));
    assert.match(seen.at(-1)!, / 200$/, "ready again at the end");
  },
});

Deno.test({
  name:
    "when port 443 cannot be bound again without root, the server exits with a failure for systemd to restart it",
  ignore: !root,
  async fn() {
    const { lab, server, seen, stopWatching } = await exhaust("emfexit", false);
    await using _lab = lab;
    let status: Deno.CommandStatus | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      status = await Promise.race([
        server.child.status,
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 60_000))),
      ]);
    } finally {
      clearTimeout(timer);
      await stopWatching();
    }
    assert.ok(status, "the server exits within 60 s");
    const log = await server.log();
    console.log(
      `exit code ${status.code}; /readyz 503 answers: ${
        seen.filter((l) => / 503$/.test(l)).length
      }`,
    );
    assert.notEqual(status.code, 0, log);
    assert.match(log, /the listener stopped accepting/);
    assert.match(log, /cannot be bound again without root.*exiting so that the service manager/);
  },
});
