/**
 * The native data plane experiment measured beside the default path in one run (root):
 *   deno run -A tools/native_plane/measure.ts [--quick] [--rounds N]
 * Rounds interleave SSSonector (default path, offloads on) and np_forwarder (the same TUN
 * offloads, libssl's handshake and mutual authentication, then the C record layer of
 * tls_record.c on one thread per direction) in one two-namespace lab, measured the bench's way
 * (tools/bench/measure_row.ts). The first native round is captured with tcpdump and its
 * records walked (tls_capture.ts). Not shipped: see docs/design/native-data-plane.md.
 */
import { parseArgs } from "node:util";
import { withLabWorkspace } from "../lab/workspace.ts";
import { issueLabCertificates } from "../lab/lab_configs.ts";
import { type LabHost, type NetnsLab, run } from "../lab/netns_lab.ts";
import { runIperf } from "../lab/iperf.ts";
import { firstExit, waitForPing } from "../lab/wait_for_ping.ts";
import { clockTicksPerSecond } from "../bench/_proc.ts";
import { benchSettings } from "../bench/bench.ts";
import { measureRow } from "../bench/measure_row.ts";
import { type RowContext, sssonectorRow, tunnelPids } from "../bench/rows.ts";
import type { RowMeasurement } from "../bench/types.ts";
import { type RecordSummary, summarizeCapture } from "./tls_capture.ts";
import { errorMessage } from "../../src/base/error_message.ts";

const HERE = new URL(".", import.meta.url).pathname;
const SOURCES = ["np_forwarder.c", "np_session.c", "np_receive.c", "np_connect.c", "tls_record.c"];
const PORT = 4443;
const TUN = "npt0";
const NATIVE_SERVER_IP = "10.7.0.1";
const NATIVE_CLIENT_IP = "10.7.0.2";

function say(line: string) {
  console.log(line);
}

async function compile(out: string): Promise<void> {
  const args = ["-O2", "-Wall", "-o", out, ...SOURCES.map((s) => HERE + s)];
  const result = await new Deno.Command("cc", {
    args: [...args, "-lssl", "-lcrypto", "-lpthread"],
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(
      `cc failed (libssl-dev installed?): ${new TextDecoder().decode(result.stderr)}`,
    );
  }
}

async function configureTun(lab: NetnsLab, host: LabHost, ip: string, gaveUp: () => unknown) {
  for (let i = 0; i < 200; i++) {
    if ((await lab.try(host, "ip", ["link", "show", TUN])).code === 0) {
      await lab.exec(host, "ip", ["addr", "add", `${ip}/24`, "dev", TUN]);
      await lab.exec(host, "ip", ["link", "set", TUN, "mtu", "1500", "up"]);
      return;
    }
    if (gaveUp()) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${TUN} never appeared in ${host.ns}`);
}

/** What a table line needs of a row, SSSonector's (a BenchRow) or the native one. */
interface MeasuredRow {
  readonly label: string;
  readonly notes: readonly string[];
  readonly measurement: RowMeasurement | null;
}

interface NativeResult {
  readonly row: MeasuredRow;
  readonly capture?: RecordSummary[];
  readonly profile?: string;
}

/**
 * Waits for tcpdump's "listening on" line, so the capture holds the handshake; the rest of its
 * stderr is drained until it exits. (It must run with --immediate-mode: otherwise packets wait
 * in the kernel's ring for a 1 s timeout and a SIGTERM before then drops them uncounted.)
 */
async function captureStarted(dump: Deno.ChildProcess): Promise<void> {
  const reader = dump.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tcpdump ended: ${text}`);
    text += value;
  }
  (async () => {
    while (!(await reader.read()).done);
  })();
}

/** Where the server's CPU goes during a client-to-server transfer: perf, by DSO and by symbol. */
async function profileServer(ctx: RowContext, pid: number): Promise<string> {
  const data = `${ctx.workDir}/perf.data`;
  const { lab } = ctx;
  await Promise.all([
    runIperf(lab, { from: lab.client, to: lab.server, toIp: NATIVE_SERVER_IP, seconds: 6 }),
    new Promise((resolve) => setTimeout(resolve, 1000)).then(() =>
      run("perf", ["record", "-F", "499", "-p", String(pid), "-o", data, "--", "sleep", "4"])
    ),
  ]);
  const lines: string[] = [];
  for (const sort of ["dso", "dso,sym"]) {
    const report = await run("perf", [
      "report",
      "-i",
      data,
      "--stdio",
      "--sort",
      sort,
      "--percent-limit",
      "2",
    ]);
    lines.push(...report.stdout.split("\n").filter((l) => l.trim() && !l.startsWith("#")));
  }
  return lines.join("\n");
}

async function nativeRow(
  ctx: RowContext,
  binary: string,
  capture: boolean,
): Promise<NativeResult> {
  const { lab, certDir } = ctx;
  const label = "native data plane (np_forwarder)";
  say(`==> ${label}`);
  const files = (role: string) => [
    `${certDir}/${role}.crt`,
    `${certDir}/${role}.key`,
    `${certDir}/ca.crt`,
  ];
  const server = lab.spawn(lab.server, binary, [
    "server",
    lab.server.ip,
    String(PORT),
    TUN,
    ...files("server"),
  ]);
  let client: Deno.ChildProcess | undefined;
  let dump: Deno.ChildProcess | undefined;
  const pcap = `${ctx.workDir}/native.pcap`;
  try {
    await Deno.mkdir(ctx.workDir, { recursive: true });
    const exits = { server: server.status } as Record<string, Promise<Deno.CommandStatus>>;
    await configureTun(lab, lab.server, NATIVE_SERVER_IP, firstExit(exits));
    if (capture) {
      dump = lab.spawn(lab.server, "tcpdump", [
        "-i",
        lab.server.veth,
        "-w",
        pcap,
        "-U",
        "--immediate-mode",
        `tcp port ${PORT}`,
      ], { stderr: "piped" });
      await captureStarted(dump);
    }
    client = lab.spawn(lab.client, binary, [
      "client",
      lab.server.ip,
      String(PORT),
      TUN,
      ...files("client"),
    ]);
    exits.client = client.status;
    await configureTun(lab, lab.client, NATIVE_CLIENT_IP, firstExit(exits));
    await waitForPing(lab, lab.client, NATIVE_SERVER_IP, { gaveUp: firstExit(exits) });
    let records: RecordSummary[] | undefined;
    if (dump) {
      await lab.try(lab.client, "ping", ["-c", "5", "-i", "0.05", NATIVE_SERVER_IP]);
      await lab.stop(dump, 2000);
      records = summarizeCapture(await Deno.readFile(pcap));
    }
    const processes = await tunnelPids(
      ctx,
      { server: server.pid, client: client.pid },
      "np_forwarder",
    );
    const measurement: RowMeasurement = await measureRow(lab, {
      serverIp: NATIVE_SERVER_IP,
      clientIp: NATIVE_CLIENT_IP,
      processes,
    }, ctx.plan);
    // A profile that fails is a line in the output, never a failed row.
    const profile = capture
      ? await profileServer(ctx, processes[0]!.pid).catch((e) => `perf failed: ${errorMessage(e)}`)
      : undefined;
    return {
      row: { label, notes: [], measurement },
      ...(records ? { capture: records } : {}),
      ...(profile ? { profile } : {}),
    };
  } catch (error) {
    say(`    failed: ${errorMessage(error)}`);
    return {
      row: { label, notes: [errorMessage(error)], measurement: null },
    };
  } finally {
    if (dump) await lab.stop(dump, 2000);
    if (client) await lab.stop(client, 2000);
    await lab.stop(server, 2000);
  }
}

function line(round: number, row: MeasuredRow): string {
  const m = row.measurement;
  if (!m) return `| ${round} | ${row.label} | failed: ${row.notes.join("; ").slice(0, 120)} |`;
  const gbit = (bps: number) => (bps / 1e9).toFixed(2);
  const cpu = m.processes.map((p) => `${p.role} ${p.cpuSeconds.toFixed(1)}`).join(", ");
  const rss = m.processes.map((p) => `${(p.peakRssKiB / 1024).toFixed(0)}`).join(" / ");
  return `| ${round} | ${row.label} | ${gbit(m.clientToServerBps)} / ${
    gbit(m.serverToClientBps)
  } | ` +
    `${m.rttIdle.medianMs.toFixed(3)} | ${m.rttLoaded.medianMs.toFixed(2)} | ` +
    `${m.cpuSecondsPerGB?.toFixed(2) ?? "-"} | ${cpu} | ${rss} |`;
}

async function main(): Promise<number> {
  const { values: flags } = parseArgs({
    args: Deno.args,
    options: { quick: { type: "boolean", default: false }, rounds: { type: "string" } },
  });
  if (Deno.uid() !== 0) {
    console.error("measure.ts needs root (TUN devices, network namespaces)");
    return 1;
  }
  const settings = benchSettings(
    flags.quick ?? false,
    flags.rounds ? Number(flags.rounds) : undefined,
  );
  return await withLabWorkspace("np-plane-", say, async ({ workDir, createLab }) => {
    const binary = `${workDir}/np_forwarder`;
    await compile(binary);
    const lab = await createLab("np");
    const certDir = `${workDir}/certs`;
    await issueLabCertificates(lab, certDir);
    const base: RowContext = {
      lab,
      certDir,
      workDir,
      tunnelMtu: settings.tunnelMtu,
      say,
      plan: {
        seconds: settings.throughputSeconds,
        pingCount: settings.pingCount,
        pingIntervalMs: settings.pingIntervalMs,
        loadedPingDelayMs: settings.loadedPingDelayMs,
        ticksPerSecond: await clockTicksPerSecond(),
      },
    };
    const lines: string[] = [];
    let capture: RecordSummary[] | undefined;
    let profile: string | undefined;
    for (let round = 1; round <= settings.rounds; round++) {
      const ctx = { ...base, workDir: `${workDir}/round-${round}` };
      const native = await nativeRow(ctx, binary, round === 1);
      capture ??= native.capture;
      profile ??= native.profile;
      lines.push(line(round, await sssonectorRow(ctx, true)), line(round, native.row));
    }
    say("");
    say(
      `${settings.rounds} round(s), ${settings.throughputSeconds} s per direction, ` +
        `${settings.pingCount} pings at ${settings.pingIntervalMs} ms`,
    );
    say(
      "| round | row | c->s / s->c Gbit/s | idle RTT median ms | loaded RTT median ms | " +
        "CPU s/GB | CPU s | peak RSS MB srv / cli |",
    );
    say("|---|---|---|---|---|---|---|---|");
    for (const l of lines) say(l);
    if (capture) {
      say("");
      say("capture of the first native round (handshake, Hello, pings), records per content type:");
      for (const c of capture) say(`  ${JSON.stringify(c)}`);
    }
    if (profile) {
      say("");
      say("np_forwarder server during a 6 s client-to-server transfer (perf, >= 2 %):");
      say(profile);
    }
    return lines.some((l) => l.includes("failed")) ? 1 : 0;
  });
}

if (import.meta.main) Deno.exit(await main());
