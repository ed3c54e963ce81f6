/**
 * TLS-level floods from an authenticated client: TLS 1.3 KeyUpdate requests interleaved with
 * data (so rustls' limit of 32 in a row never trips), one-byte records, records padded to 16 KiB.
 * rustls handles them inside the runtime, outside the frame budget; the session's TLS overhead
 * guard (src/session/tls_overhead.ts) closes such a peer. Real processes in the namespace lab;
 * the attacker is tools/lab/tls_junk.c (OpenSSL: Deno's TLS cannot send a KeyUpdate). Also: an
 * honest client pinging every millisecond and sending a small-packet flood is never closed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { E2eLab, SERVER_TUNNEL_IP, TUNNEL_PORT } from "../lib/e2e_lab.ts";
import { cpuSeconds, rssMiB } from "../lib/proc_stats.ts";
import { echoRequest } from "../lib/icmp.ts";
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import { encodeHello, PROTOCOL_VERSION } from "../../src/frame/control.ts";
import { parsePing } from "../../tools/lab/ping.ts";
import type { LabHost } from "../../tools/lab/netns_lab.ts";

const root = Deno.uid() === 0;
const TOOL_SOURCE = new URL("../../tools/lab/tls_junk.c", import.meta.url).pathname;
/** How long the attacker floods at most (the guard closes it within a couple of seconds). */
const FLOOD_SECONDS = 20;

async function buildTool(dir: string): Promise<string> {
  const binary = join(dir, "tls_junk");
  const result = await new Deno.Command("cc", {
    args: ["-O2", "-o", binary, TOOL_SOURCE, "-lssl", "-lcrypto"],
  }).output();
  if (!result.success) {
    throw new Error(`cc tls_junk.c failed: ${new TextDecoder().decode(result.stderr)}`);
  }
  return binary;
}

interface JunkResult {
  readonly mode: string;
  readonly keyUpdates: number;
  readonly frames: number;
  readonly records: number;
  readonly seconds: number;
  readonly closedByServer: boolean;
}

async function runJunk(
  lab: E2eLab,
  attacker: LabHost,
  tool: string,
  mode: string,
  files: { hello: string; frame: string },
  read: boolean,
): Promise<JunkResult> {
  const certs = lab.certDir;
  const output = await lab.net.try(attacker, tool, [
    lab.server.ip,
    String(TUNNEL_PORT),
    join(certs, "ca.crt"),
    join(certs, "junk.crt"),
    join(certs, "junk.key"),
    files.hello,
    files.frame,
    mode,
    String(FLOOD_SECONDS),
    ...(read ? [] : ["noread"]),
  ]);
  const line = output.stdout.trim().split("\n").at(-1) ?? "";
  if (!line.startsWith("{")) throw new Error(`tls_junk ${mode}: ${output.stderr}`);
  return JSON.parse(line);
}

Deno.test({
  name:
    "a client flooding TLS (KeyUpdates between frames, one-byte records, padded records) is closed within seconds; the other client never notices",
  ignore: !root,
  sanitizeResources: false,
  async fn() {
    await using lab = await E2eLab.create("tlsjunk");
    const attacker = await lab.addHost();
    await lab.issue({ certDir: lab.certDir, clientName: "junk" });
    const tool = await buildTool(lab.dir);
    const hello = join(lab.dir, "hello.bin");
    const frame = join(lab.dir, "frame.bin");
    await Deno.writeFile(
      hello,
      encodeHello({
        protocol: PROTOCOL_VERSION,
        software: "tls_junk",
        address: "10.0.0.3/24",
        mtu: 1500,
        features: [],
      }),
    );
    // Data, not control frames (those have their own budget): a 36-byte echo request.
    const packet = echoRequest("10.0.0.3", SERVER_TUNNEL_IP, 7, new Uint8Array(8));
    await Deno.writeFile(frame, encodeFrame(FrameType.Packet, packet));
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    const pid = server.child.pid;
    const baseline = await rssMiB(pid);
    const rows: string[] = [];
    for (
      const [mode, read] of [["keyupdate", false], ["keyupdate", true], ["tiny", true], [
        "padded",
        true,
      ]] as const
    ) {
      const before = await rssMiB(pid);
      const cpuBefore = await cpuSeconds(pid);
      let peak = before;
      const sampler = setInterval(async () => {
        peak = Math.max(peak, await rssMiB(pid).catch(() => 0));
      }, 200);
      const pings = lab.net.try(lab.client, "ping", [
        "-n",
        "-c",
        "25",
        "-i",
        "0.2",
        "-W",
        "1",
        SERVER_TUNNEL_IP,
      ]);
      let result: JunkResult;
      try {
        result = await runJunk(lab, attacker, tool, mode, { hello, frame }, read);
      } finally {
        clearInterval(sampler);
      }
      const cpu = (await cpuSeconds(pid)) - cpuBefore;
      const ping = await pings;
      const loss = parsePing(ping.stdout);
      const row = `| ${mode}${read ? "" : " (never reads)"} | ${result.keyUpdates} KeyUpdates, ` +
        `${result.records} records | ${result.closedByServer ? "closed" : "still open"} after ` +
        `${result.seconds.toFixed(1)} s | ` +
        `${cpu.toFixed(2)} CPU s | ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MiB | ` +
        `${loss.received}/25 pings |`;
      rows.push(row);
      console.log(row);
      assert.ok(
        result.closedByServer && result.seconds < FLOOD_SECONDS - 5,
        `the server closed the ${mode} flood: ${JSON.stringify(result)}`,
      );
      assert.equal(loss.received, 25, `the other client's pings during ${mode}: ${ping.stdout}`);
      assert.ok(peak - baseline < 100, `server RSS ${baseline.toFixed(0)} -> ${peak.toFixed(0)}`);
    }
    const log = await server.log();
    const lines = log.split("\n").filter((l) => /TLS-level flood/.test(l));
    assert.equal(lines.length, 4, `one line per flood:\n${log}`);
    assert.match(lines[0]!, /client junk \(198\.18\.\d+\.\d+:\d+\) disconnected: TLS-level flood/);
    console.log(["| flood | sent | server | CPU | RSS | other client |", ...rows].join("\n"));
    // What the flood held is given back once its session is closed.
    const after = await rssMiB(pid);
    console.log(`server RSS ${baseline.toFixed(0)} MiB before, ${after.toFixed(0)} MiB after`);
  },
});

Deno.test({
  name:
    "an honest client pinging every millisecond and flooding small UDP packets, then bulk TCP both ways, is never taken for a TLS flood",
  ignore: !root,
  sanitizeResources: false,
  async fn() {
    await using lab = await E2eLab.create("tlshonest");
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    const iperfServer = lab.net.spawn(lab.server, "iperf3", ["-s", "-1", "-B", SERVER_TUNNEL_IP]);
    try {
      const fast = lab.net.try(lab.client, "ping", [
        "-n",
        "-q",
        "-c",
        "8000",
        "-i",
        "0.001",
        "-s",
        "16",
        SERVER_TUNNEL_IP,
      ]);
      let small: Awaited<ReturnType<typeof lab.net.try>> | undefined;
      for (let attempt = 0; attempt < 50; attempt++) {
        small = await lab.net.try(lab.client, "iperf3", [
          ...["-c", SERVER_TUNNEL_IP, "-u", "-l", "16", "-b", "40M", "-t", "8"],
        ]);
        if (small.code === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const pinged = parsePing((await fast).stdout);
      console.log(`honest: 1 ms pings ${pinged.received}/8000; iperf3 -l 16: ${small?.stdout}`);
      assert.equal(small?.code, 0, small?.stderr);
    } finally {
      await lab.net.stop(iperfServer, 1000);
    }
    // Bulk both ways: full 16 KiB records.
    for (const reverse of [[], ["-R"]]) {
      const bulk = lab.net.spawn(lab.server, "iperf3", ["-s", "-1", "-B", SERVER_TUNNEL_IP]);
      try {
        let result: Awaited<ReturnType<typeof lab.net.try>> | undefined;
        for (let attempt = 0; attempt < 50; attempt++) {
          result = await lab.net.try(lab.client, "iperf3", [
            ...["-c", SERVER_TUNNEL_IP, "-t", "4", ...reverse],
          ]);
          if (result.code === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(result?.code, 0, result?.stderr);
      } finally {
        await lab.net.stop(bulk, 1000);
      }
    }
    const log = await server.log();
    assert.doesNotMatch(log, /TLS-level flood|disconnected/, log);
  },
});
