/**
 * The server's port faces the internet: what strangers, slow clients and broken pipes do to it,
 * each reproduced with real processes in the namespace lab (tools/lab/stranger.ts plays the
 * attacker from a host of its own, 198.18.1.2).
 */
import assert from "node:assert/strict";
import { CLIENT_TUNNEL_IP, E2eLab, SERVER_TUNNEL_IP, TUNNEL_PORT } from "../lib/e2e_lab.ts";
import { pollUntil } from "../lib/poll.ts";
import { cpuSeconds, openFds, rssMiB } from "../lib/proc_stats.ts";
import { parsePing } from "../../tools/lab/ping.ts";

const PORT = String(TUNNEL_PORT);
const root = Deno.uid() === 0;

/**
 * Sends 1200-byte UDP datagrams to argv[1]:9 for argv[2] seconds at argv[3] packets a second
 * (bounded in time and rate).
 */
const UDP_FLOOD = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
data, start = b"x" * 1200, time.time()
seconds, rate, sent = float(sys.argv[2]), float(sys.argv[3]), 0
while time.time() < start + seconds:
    for _ in range(50):
        try:
            s.sendto(data, (sys.argv[1], 9))
        except OSError:
            pass
    sent += 50
    ahead = start + sent / rate - time.time()
    if ahead > 0:
        time.sleep(ahead)
`;

function count(text: string, pattern: RegExp): number {
  return text.split("\n").filter((line) => pattern.test(line)).length;
}

Deno.test({
  name:
    "a flood of idle connections from one address is capped at once, and a valid client connects during it",
  ignore: !root,
  async fn() {
    await using lab = await E2eLab.create("idle");
    const attacker = await lab.addHost();
    const configs = await lab.configs({ serverSecurity: { handshake_timeout: 3 } });
    const server = lab.start(lab.server, configs.serverConfig, configs.serverLog);
    await server.waitForLog(/listening on/);
    const flood = lab.spawnStranger(attacker, ["idle", lab.server.ip, PORT, "600", "6000"]);
    // The flood is under way once the server has closed connections at the cap.
    await server.waitForLog(/closed at once/);
    const client = await lab.startClient(configs);
    assert.ok((await lab.ping(lab.client, SERVER_TUNNEL_IP)).ok, "the tunnel carries pings");
    const result = await flood.done;
    assert.equal(result.opened, 600, JSON.stringify(result));
    assert.equal(
      result.closedByServer,
      600,
      `every idle connection was closed: ${JSON.stringify(result)}`,
    );
    // Memory comes back: a second flood like the first leaves the server where the first did.
    const afterFirst = await rssMiB(server.child.pid);
    await lab.spawnStranger(attacker, ["idle", lab.server.ip, PORT, "600", "4000"]).done;
    const afterSecond = await rssMiB(server.child.pid);
    console.log(
      `idle floods: server RSS ${afterFirst.toFixed(0)} MiB after the first, ` +
        `${afterSecond.toFixed(0)} after the second`,
    );
    assert.ok(afterSecond - afterFirst < 15, "each flood keeps memory: the server leaks");
    await client.stop();
    await server.stop();
    const log = await server.log();
    assert.ok(count(log, /closed at once/) <= 2, `the cap is logged once, not 592 times:\n${log}`);
    assert.match(log, /\.\.\. \d+ more connections closed at a cap from 198\.18\.1\.2/);
    assert.ok(count(log, /no completed handshake within 3 s/) <= 2, log);
  },
});

Deno.test({
  name:
    "with a low open-file limit the server never runs out of descriptors: it keeps accepting during and after a flood",
  ignore: !root,
  async fn() {
    await using lab = await E2eLab.create("fds");
    const attacker = await lab.addHost();
    // One address may take every pending place: only the total cap and the fd limit protect.
    const configs = await lab.configs({
      serverSecurity: {
        handshake_timeout: 3,
        max_pending_per_source: 65536,
        max_pending_per_network4: 65536,
      },
    });
    const server = lab.start(lab.server, configs.serverConfig, configs.serverLog, {
      fileLimit: 256,
    });
    await server.waitForLog(/listening on/);
    assert.match(await server.log(), /open-file limit 256 is too low .* at most 96 pending/);
    const baselineFds = await openFds(server.child.pid);
    const flood = lab.spawnStranger(attacker, ["idle", lab.server.ip, PORT, "1000", "5000"]);
    await server.waitForLog(/closed at once/);
    const started = performance.now();
    const client = lab.start(lab.client, configs.clientConfig, configs.clientLog);
    const peakFds = await openFds(server.child.pid);
    assert.ok(peakFds < 256, `${peakFds} descriptors open at the peak`);
    const result = await flood.done;
    assert.equal(result.opened, 1000, JSON.stringify(result));
    await client.waitForLog(/connected to/, 30_000);
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 20, `the client connected ${seconds.toFixed(1)} s after the flood began`);
    assert.ok((await lab.ping(lab.client, SERVER_TUNNEL_IP)).ok, "the tunnel carries pings");
    // Everything the flood held is given back.
    await pollUntil(
      async () => (await openFds(server.child.pid)) <= baselineFds + 2,
      "the server's descriptors are back to their baseline",
    );
    await client.stop();
  },
});

Deno.test({
  name:
    "a client that stops reading loses only its own packets: another client's pings are unharmed",
  ignore: !root,
  async fn() {
    await using lab = await E2eLab.create("stall");
    const attacker = await lab.addHost();
    await lab.issue({ certDir: lab.certDir, clientName: "stalled" });
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    const client = await lab.startClient(configs);
    const before = await rssMiB(server.child.pid);
    const stalled = lab.spawnStranger(attacker, [
      "stall",
      lab.server.ip,
      PORT,
      lab.certDir,
      "stalled",
      "10.0.0.3/24",
      "25000",
    ]);
    await stalled.ready;
    await server.waitForLog(/client stalled .* is 10\.0\.0\.3/);
    // A stopped process reads nothing: its kernel buffers fill and TCP's window closes.
    stalled.child.kill("SIGSTOP");
    // Traffic for the stalled client, far more than it reads: 6 MB/s of 1200-byte datagrams from
    // the server host for 8 s (48 MB, many times what the socket buffers on the way can hold).
    const flood = lab.net.spawn(lab.server, "python3", ["-c", UDP_FLOOD, "10.0.0.3", "8", "5000"]);
    const pings = await lab.net.try(lab.server, "ping", [
      "-n",
      "-c",
      "40",
      "-i",
      "0.2",
      "-W",
      "2",
      CLIENT_TUNNEL_IP,
    ]);
    const during = await rssMiB(server.child.pid);
    await flood.status;
    const ping = parsePing(pings.stdout);
    assert.equal(ping.received, 40, `the other client's pings were lost:\n${pings.stdout}`);
    assert.ok(ping.maxMs < 500, `round trips: ${pings.stdout}`);
    assert.ok(during - before < 150, `server RSS ${before.toFixed(0)} -> ${during.toFixed(0)} MiB`);
    stalled.child.kill("SIGKILL");
    const gone = await server.waitForLog(/client stalled .* disconnected: .*/);
    const dropped = Number(gone.match(/(\d+) packets dropped as congested/)?.[1]);
    console.log(
      `stalled peer: other client's pings ${ping.received}/40, rtt max ${ping.maxMs} ms; ` +
        `server RSS ${before.toFixed(0)} -> ${during.toFixed(0)} MiB; ${dropped} packets dropped`,
    );
    assert.ok(dropped > 0, `the stalled client's drops are counted: ${gone}`);
    await client.stop();
  },
});

Deno.test({
  name:
    "a client behind a slow link receiving more than it can take does not slow the other clients",
  ignore: !root,
  async fn() {
    await using lab = await E2eLab.create("slow");
    await lab.issue({ certDir: lab.certDir, clientName: "slow" });
    const configs = await lab.configs();
    const slowConfigs = await lab.configs({ clientName: "slow", clientAddress: "10.0.0.3/24" });
    const slowHost = await lab.addHost();
    // 2 Mbit/s from the server to the slow client's host: tbf on the server's end of its veth.
    const links = await lab.ipJson(lab.server, ["addr", "show"]) as Array<
      { ifname: string; addr_info: Array<{ local: string }> }
    >;
    const serverEnd = links.find((l) => l.addr_info.some((a) => a.local === "198.18.1.1"))!.ifname;
    await lab.net.exec(lab.server, "tc", [
      "qdisc",
      "add",
      "dev",
      serverEnd,
      "root",
      "tbf",
      "rate",
      "2mbit",
      "burst",
      "32kbit",
      "latency",
      "400ms",
    ]);
    const server = await lab.startServer(configs);
    const client = await lab.startClient(configs);
    const slow = await lab.startClient(slowConfigs, slowHost);
    // 24 Mbit/s for the slow client, twelve times what its link carries.
    const flood = lab.net.spawn(lab.server, "python3", ["-c", UDP_FLOOD, "10.0.0.3", "8", "2500"]);
    const pings = await lab.net.try(lab.server, "ping", [
      "-n",
      "-c",
      "30",
      "-i",
      "0.2",
      "-W",
      "2",
      CLIENT_TUNNEL_IP,
    ]);
    await flood.status;
    const ping = parsePing(pings.stdout);
    console.log(`slow link: the other client's pings ${ping.received}/30, max ${ping.maxMs} ms`);
    assert.equal(ping.received, 30, `the other client's pings were lost:\n${pings.stdout}`);
    assert.ok(ping.maxMs < 500, `round trips: ${pings.stdout}`);
    await slow.stop();
    const gone = await server.waitForLog(/client slow .* disconnected: .*/);
    assert.match(gone, /[1-9]\d* packets dropped as congested/, gone);
    await client.stop();
  },
});

/** CPU seconds a process uses over `ms`. */
async function cpuOver(pid: number, ms: number): Promise<number> {
  const start = await cpuSeconds(pid);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (await cpuSeconds(pid)) - start;
}

/** SIGTERM and the seconds until the process has exited. */
async function stopTimed(process: { stop(graceMs?: number): Promise<Deno.CommandStatus> }) {
  const started = performance.now();
  const status = await process.stop(5000);
  return { status, seconds: (performance.now() - started) / 1000 };
}

Deno.test({
  name:
    "a client whose standard output is a pipe nobody reads any more keeps tunnelling, stays idle and stops on SIGTERM",
  ignore: !root,
  async fn() {
    await using lab = await E2eLab.create("pipe");
    const configs = await lab.configs({ clientLogToStdout: true });
    const server = await lab.startServer(configs);
    const client = lab.start(lab.client, configs.clientConfig, configs.clientLog, {
      stdout: "piped",
    });
    // Like `| head -2`: read two lines, then the reader goes away.
    const reader = client.child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (seen.split("\n").length < 3) seen += (await reader.read()).value ?? "";
    await reader.cancel();
    await server.waitForLog(/client client .* is 10\.0\.0\.2/);
    assert.ok((await lab.ping(lab.server, CLIENT_TUNNEL_IP, { count: 5 })).ok, "pings cross");
    const pid = client.child.pid;
    const rssBefore = await rssMiB(pid);
    const cpu = await cpuOver(pid, 3000);
    const rssAfter = await rssMiB(pid);
    assert.ok(cpu < 0.5, `the client used ${cpu.toFixed(2)} CPU seconds in 3 s`);
    assert.ok(
      rssAfter - rssBefore < 20,
      `RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB`,
    );
    assert.ok((await lab.ping(lab.server, CLIENT_TUNNEL_IP, { count: 5 })).ok, "pings still cross");
    const { status, seconds } = await stopTimed(client);
    assert.ok(seconds < 2, `SIGTERM took ${seconds.toFixed(1)} s`);
    assert.equal(status.code, 0);
    assert.match(await client.stderr(), /cannot write log lines to standard output/);
  },
});

Deno.test({
  name:
    "a client whose log file sits on a full filesystem keeps tunnelling, stays idle and stops on SIGTERM",
  ignore: !root,
  async fn() {
    const mount = await Deno.makeTempDir({ prefix: "sssonector-e2e-full-" });
    await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mount] })
      .output();
    try {
      await using lab = await E2eLab.create("full");
      const logFile = `${mount}/client.log`;
      await Deno.writeTextFile(logFile, "");
      // Fill the filesystem to the last block.
      await new Deno.Command("dd", { args: ["if=/dev/zero", `of=${mount}/filler`, "bs=4k"] })
        .output();
      const configs = await lab.configs({ clientLogFile: logFile });
      const server = await lab.startServer(configs);
      const client = lab.start(lab.client, configs.clientConfig, logFile);
      await server.waitForLog(/client client .* is 10\.0\.0\.2/);
      assert.ok((await lab.ping(lab.server, CLIENT_TUNNEL_IP, { count: 5 })).ok, "pings cross");
      const cpu = await cpuOver(client.child.pid, 3000);
      assert.ok(cpu < 0.5, `the client used ${cpu.toFixed(2)} CPU seconds in 3 s`);
      const { status, seconds } = await stopTimed(client);
      assert.ok(seconds < 2, `SIGTERM took ${seconds.toFixed(1)} s`);
      assert.equal(status.code, 0);
      assert.match(await client.stderr(), /cannot write log lines to .*client\.log: .*space/i);
    } finally {
      await new Deno.Command("umount", { args: [mount] }).output();
      await Deno.remove(mount, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a million Pings whose Pongs are never read keep the server's memory bounded, and their session is the only one that pays",
  ignore: !root,
  async fn() {
    await using lab = await E2eLab.create("pings");
    const attacker = await lab.addHost();
    await lab.issue({ certDir: lab.certDir, clientName: "pinger" });
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    const client = await lab.startClient(configs);
    const pid = server.child.pid;
    const before = await rssMiB(pid);
    const pinger = lab.spawnStranger(attacker, [
      "pings",
      lab.server.ip,
      PORT,
      lab.certDir,
      "pinger",
      "10.0.0.3/24",
      "1000000",
      "3000",
    ]);
    let peak = before;
    const sampler = setInterval(async () => {
      peak = Math.max(peak, await rssMiB(pid).catch(() => 0));
    }, 200);
    try {
      const pings = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 10 });
      assert.ok(pings.ok, `the other client's pings: ${pings.output}`);
      const result = await pinger.done;
      assert.equal(result.sent, 1_000_000);
    } finally {
      clearInterval(sampler);
    }
    assert.ok(
      peak - before < 100,
      `server RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MiB`,
    );
    const log = await server.waitForLog(/client pinger .* disconnected: .*/);
    assert.match(log, /disconnected/);
    await pollUntil(
      async () => (await rssMiB(pid)) - before < 40,
      `server RSS back near ${before.toFixed(0)} MiB`,
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    await client.stop();
  },
});

Deno.test({
  name:
    "authenticated connections that never send a Hello are closed at the deadline and cost little",
  ignore: !root,
  async fn() {
    await using lab = await E2eLab.create("silent");
    const attacker = await lab.addHost();
    await lab.issue({ certDir: lab.certDir, clientName: "silent" });
    const configs = await lab.configs({
      serverSecurity: {
        handshake_timeout: 2,
        max_pending_per_source: 400,
        max_pending_per_network4: 400,
      },
    });
    const server = await lab.startServer(configs);
    const before = await rssMiB(server.child.pid);
    const silent = lab.spawnStranger(attacker, [
      "silent",
      lab.server.ip,
      PORT,
      lab.certDir,
      "silent",
      "300",
      "6000",
    ]);
    const connected = (await silent.ready).connected as number;
    const during = await rssMiB(server.child.pid);
    const result = await silent.done;
    assert.ok(connected >= 250, JSON.stringify(result));
    assert.equal(
      result.closedByServer,
      connected,
      `every silent connection was closed: ${JSON.stringify(result)}`,
    );
    const perConnectionKiB = ((during - before) * 1024) / connected;
    console.log(
      `silent: ${connected} connections, RSS ${before.toFixed(0)} -> ${during.toFixed(0)} MiB ` +
        `(${perConnectionKiB.toFixed(0)} KiB each); ${result.closedByServer} closed by the server`,
    );
    assert.ok(perConnectionKiB < 100, `${perConnectionKiB.toFixed(0)} KiB per silent connection`);
    const log = await server.log();
    assert.ok(count(log, /no hello within/) <= 2, `the Hello deadline is logged once:\n${log}`);
  },
});

Deno.test({
  name:
    "a handshake flood, with and without a certificate, leaves the tunnel flowing and the log small",
  ignore: !root,
  async fn() {
    await using lab = await E2eLab.create("hsflood");
    const attacker = await lab.addHost();
    await lab.issue({ certDir: lab.certDir, clientName: "flooder" });
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    const client = await lab.startClient(configs);
    const logBefore = (await server.log()).length;
    const strangers = lab.spawnStranger(attacker, ["handshakes", lab.server.ip, PORT, "5000"]);
    const insiders = lab.spawnStranger(attacker, [
      "handshakes",
      lab.server.ip,
      PORT,
      "5000",
      lab.certDir,
      "flooder",
    ]);
    const pings = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 20 });
    const [outside, inside] = await Promise.all([strangers.done, insiders.done]);
    assert.ok(pings.ok, `tunnel traffic during the flood: ${pings.output}`);
    // Most attempts are closed at once by the per-address cap; every one costs the server work.
    const attempts = [outside, inside].reduce(
      (sum, r) => sum + (r.completed as number) + (r.failed as number),
      0,
    );
    assert.ok(attempts > 300, `${JSON.stringify({ outside, inside })}`);
    const grown = (await server.log()).length - logBefore;
    console.log(`handshake flood: ${JSON.stringify({ outside, inside })}; log grew ${grown} bytes`);
    assert.ok(grown < 8000, `${attempts} attempts grew the log by ${grown} bytes`);
    await client.stop();
  },
});
