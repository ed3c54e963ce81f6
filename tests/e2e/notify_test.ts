/**
 * sd_notify end to end: a real server and client started with $NOTIFY_SOCKET pointing at a socket
 * the test listens on (tests/lib/notify_listener.ts), as systemd's Type=notify would. Needs root
 * (the namespace lab); skipped otherwise.
 */

import assert from "node:assert/strict";
import { TunnelProcess } from "../../tools/lab/tunnel_process.ts";
import type { LabHost } from "../../tools/lab/netns_lab.ts";
import { E2eLab, LAUNCHER, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";
import { pollUntil } from "../lib/poll.ts";

const ignore = Deno.uid() !== 0;
const LISTENER = new URL("../lib/notify_listener.ts", import.meta.url).pathname;

/** Listens on a unix datagram socket in `dir`; collects what arrives. */
async function listen(dir: string) {
  const path = `${dir}/notify.sock`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-net", "--quiet", LISTENER, path],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const messages: string[] = [];
  let listening = () => {};
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const reading = (async () => {
    let pending = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += text;
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = JSON.parse(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        if ("listening" in line) listening();
        else messages.push(line.message);
      }
    }
  })();
  await ready;
  // systemd's socket is writable by the service whatever user it drops to; so is this one.
  await Deno.chmod(dir, 0o755);
  await Deno.chmod(path, 0o777);
  return {
    path,
    messages,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await reading;
    },
  };
}

function startNotified(lab: E2eLab, host: LabHost, config: string, log: string, env: string[]) {
  // `env` execs the launcher, which execs deno: the pid stays the tunnel's, as under systemd.
  const child = lab.net.spawn(host, "env", [...env, LAUNCHER, "-config", config], {
    stderr: "piped",
  });
  return new TunnelProcess(lab.net, child, log);
}

Deno.test({
  name: "sd_notify: READY=1 when listening and when connected, RELOADING around SIGHUP, STOPPING",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("notify");
    await using serverSocket = await listen(lab.dir);
    const configs = await lab.configs();
    const server = startNotified(lab, lab.server, configs.serverConfig, configs.serverLog, [
      `NOTIFY_SOCKET=${serverSocket.path}`,
      "WATCHDOG_USEC=400000",
    ]);
    try {
      await server.waitForLog(/listening on/);
      await pollUntil(() => serverSocket.messages.length > 0, "READY=1 from the server");
      assert.equal(
        serverSocket.messages[0],
        "READY=1\nSTATUS=listening on 198.18.0.1:443; 0 sessions",
      );

      // The client: not ready until its session is up, then READY=1 naming the server.
      const clientDir = `${lab.dir}/client-notify`;
      await Deno.mkdir(clientDir);
      await using clientSocket = await listen(clientDir);
      const client = startNotified(lab, lab.client, configs.clientConfig, configs.clientLog, [
        `NOTIFY_SOCKET=${clientSocket.path}`,
      ]);
      try {
        await client.waitForLog(/connected to .*/);
        await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
        await pollUntil(
          () => clientSocket.messages.some((m) => m.startsWith("READY=1\n")),
          "READY=1 from the client",
        );
        assert.ok(
          clientSocket.messages.includes("READY=1\nSTATUS=connected to 198.18.0.1:443"),
          clientSocket.messages.join(" | "),
        );
        await pollUntil(
          () => serverSocket.messages.includes("STATUS=listening on 198.18.0.1:443; 1 session"),
          "the server's STATUS= with one session",
        );
      } finally {
        await client.stop();
      }

      // The watchdog is pinged every 200 ms.
      const pings = () => serverSocket.messages.filter((m) => m === "WATCHDOG=1").length;
      const before = pings();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.ok(pings() - before >= 3, `${pings() - before} watchdog pings in a second`);

      Deno.kill(server.child.pid, "SIGHUP");
      await server.waitForLog(/reload on SIGHUP/);
      await pollUntil(
        () => serverSocket.messages.some((m) => m.startsWith("RELOADING=1\nMONOTONIC_USEC=")),
        "RELOADING=1",
      );
      const reloading = serverSocket.messages.findIndex((m) => m.startsWith("RELOADING=1"));
      await pollUntil(
        () => serverSocket.messages.slice(reloading + 1).some((m) => m.startsWith("READY=1")),
        "READY=1 after the reload",
      );
    } finally {
      await server.stop();
    }
    await pollUntil(
      () => serverSocket.messages.includes("STOPPING=1\nSTATUS=shutting down"),
      "STOPPING=1",
    );
  },
});
