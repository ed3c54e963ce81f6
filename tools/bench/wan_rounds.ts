/**
 * `bench --wan --rounds N` (or `deno run -P=tools tools/bench/wan_rounds.ts`): an interleaved duel
 * on one emulated path, 40 ms / 1 % loss / 100 Mbit/s unless `--profile NAME` names another of
 * WAN_PROFILES (tools/lab/wan_link.ts): SSSonector (one row per build: this checkout,
 * plus any `--build LABEL=LAUNCHER`, e.g. another commit's checkout) beside wireguard-go and
 * OpenVPN over UDP, every row once per round, the order reversed every other round so drift falls
 * on every row alike. One relay runs for the whole duel.
 *
 * Each row: idle pings, then one upload (iperf3, one TCP stream) with 100 pings at 50 ms from its
 * second second on, then one download. During the loaded pings the relay measures how long small
 * frames (the pings among them) waited in the bottleneck's queue client to server: the queue part
 * of a ping's delay, apart from loss recovery (pings later than a full queue explains). Prints the
 * summary (wan_rounds_table.ts) and writes the samples as JSON to tests/results/. With `--trace`,
 * the sending namespace's TCP sockets (`ss -tin`: the carrier's round trip, pacing and delivery
 * rates, unsent bytes; the inner iperf3 stream's) are sampled every TRACE_INTERVAL_MS during each
 * transfer into a text file beside the JSON, to see what a carrier did.
 */
import { withLabWorkspace } from "../lab/workspace.ts";
import { issueLabCertificates, writeLabConfigs } from "../lab/lab_configs.ts";
import { LabTunnel } from "../lab/lab_tunnel.ts";
import type { LabHost, NetnsLab } from "../lab/netns_lab.ts";
import { measurePing } from "../lab/ping.ts";
import { runIperf } from "../lab/iperf.ts";
import { waitForPing } from "../lab/wait_for_ping.ts";
import { buildRelay, plainFrames, WAN_PROFILES, WanLink } from "../lab/wan_link.ts";
import { ensureOpenvpn, OPENVPN_CLIENT_IP, OPENVPN_SERVER_IP, OpenVpnTunnel } from "./openvpn.ts";
import { WIREGUARD_CLIENT_IP, WIREGUARD_SERVER_IP, WireguardTunnel } from "./wireguard.ts";
import { percentile } from "./percentile.ts";
import { resultFileName } from "./result_file.ts";
import { formatRounds, type RoundSample } from "./wan_rounds_table.ts";
import { loadedPingCount } from "./wan_table.ts";
import { errorMessage } from "../../src/base/error_message.ts";

export interface WanRoundsOptions {
  /** @default 3 */
  readonly rounds?: number;
  /** Length of each transfer. @default 8 */
  readonly seconds?: number;
  /** Other SSSonector builds, each its own row: label and the launcher (`./sssonector`) to run. */
  readonly builds?: readonly { label: string; launcher: string }[];
  /** @default "tests/results" */
  readonly resultsDir?: string;
  /** A name of WAN_PROFILES. @default "40ms-1%-100M" */
  readonly profile?: string;
  /** Samples `ss -tin` in the sending namespace during each transfer. */
  readonly trace?: boolean;
}

interface Tunnel {
  readonly serverIp: string;
  readonly clientIp: string;
  stop(): Promise<void>;
}

interface Row {
  readonly label: string;
  readonly udp: boolean;
  start(dir: string): Promise<Tunnel>;
}

const DEFAULT_PROFILE = "40ms-1%-100M";
const TRACE_INTERVAL_MS = 250;
const PING_INTERVAL_MS = 50;
const LOADED_PING_DELAY_MS = 2000;

function say(line: string): void {
  console.log(line);
}

/** Our server and client, started through `launcher` (the environment's, when undefined). */
function sssonector(lab: NetnsLab, certDir: string, label: string, launcher?: string): Row {
  return {
    label,
    udp: false,
    async start(dir) {
      const configs = await writeLabConfigs(lab, { certDir, dir });
      const previous = Deno.env.get("SSSONECTOR_LAUNCHER");
      if (launcher) Deno.env.set("SSSONECTOR_LAUNCHER", launcher);
      let tunnel: LabTunnel;
      try {
        tunnel = await LabTunnel.start(lab, configs);
      } finally {
        if (previous === undefined) Deno.env.delete("SSSONECTOR_LAUNCHER");
        else Deno.env.set("SSSONECTOR_LAUNCHER", previous);
      }
      try {
        await waitForPing(lab, lab.client, "10.0.0.1");
        await tunnel.client.waitForLog(/sparse lane open to/, 10_000);
      } catch (error) {
        await tunnel.stop();
        throw error;
      }
      return { serverIp: "10.0.0.1", clientIp: "10.0.0.2", stop: () => tunnel.stop() };
    },
  };
}

/**
 * Runs `transfer` while sampling `ss -tin` in `host`'s namespace every TRACE_INTERVAL_MS; the
 * samples go to `trace` (under a header naming `title`), when given.
 */
async function traced<T>(
  lab: NetnsLab,
  host: LabHost,
  trace: string[] | undefined,
  title: string,
  transfer: Promise<T>,
): Promise<T> {
  if (!trace) return await transfer;
  let done = false;
  const sampler = (async () => {
    const started = performance.now();
    while (!done) {
      const result = await lab.try(host, "ss", ["-tinH", "state", "established"]);
      const at = ((performance.now() - started) / 1000).toFixed(2);
      trace.push(`## ${title} t=${at}s`, result.stdout.trimEnd());
      await new Promise((resolve) => setTimeout(resolve, TRACE_INTERVAL_MS));
    }
  })();
  try {
    return await transfer;
  } finally {
    done = true;
    await sampler;
  }
}

async function measure(
  lab: NetnsLab,
  link: WanLink,
  tunnel: Tunnel,
  seconds: number,
  trace: string[] | undefined,
): Promise<Omit<RoundSample, "label" | "udp" | "round" | "status">> {
  const ping = (count: number) =>
    measurePing(lab, lab.client, tunnel.serverIp, count, PING_INTERVAL_MS / 1000);
  const idle = await ping(20);
  const [upload, loaded] = await Promise.all([
    traced(
      lab,
      lab.client,
      trace,
      "upload",
      runIperf(lab, { from: lab.client, to: lab.server, toIp: tunnel.serverIp, seconds }),
    ),
    (async () => {
      await new Promise((resolve) => setTimeout(resolve, LOADED_PING_DELAY_MS));
      await link.sampleWaits();
      const stats = await ping(loadedPingCount(seconds, LOADED_PING_DELAY_MS, PING_INTERVAL_MS));
      const waits = (await link.sampleWaits()).find((w) => w.direction === "b->a");
      return { stats, waits };
    })(),
  ]);
  const download = await traced(
    lab,
    lab.server,
    trace,
    "download",
    runIperf(lab, { from: lab.server, to: lab.client, toIp: tunnel.clientIp, seconds }),
  );
  return {
    idleMs: percentile(idle.samplesMs, 50),
    loadedMs: loaded.stats.samplesMs,
    loadedSent: loaded.stats.sent,
    upBps: upload.bitsPerSecond,
    downBps: download.bitsPerSecond,
    queueP50Ms: loaded.waits?.p50Ms ?? NaN,
    queueP95Ms: loaded.waits?.p95Ms ?? NaN,
  };
}

/** Runs the duel; returns 0, or 1 when a SSSonector row never measured. */
export async function runWanRounds(options: WanRoundsOptions = {}): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error("sssonector: the benchmark needs root; run: sudo ./sssonector bench --wan");
    return 1;
  }
  const rounds = options.rounds ?? 3;
  const seconds = options.seconds ?? 8;
  const profileName = options.profile ?? DEFAULT_PROFILE;
  const profile = WAN_PROFILES.find((p) => p.name === profileName);
  if (!profile) {
    const names = WAN_PROFILES.map((p) => p.name).join(", ");
    console.error(`sssonector: no WAN profile ${profileName}; there are: ${names}`);
    return 2;
  }
  const traces: string[] = [];
  const started = new Date();
  try {
    return await withLabWorkspace(
      "sssonector-bench-lnwan-",
      say,
      async ({ workDir, createLab }) => {
        const openvpn = await ensureOpenvpn(say);
        const lab = await createLab("lnwan", { middle: true });
        const relay = await buildRelay(workDir);
        await plainFrames(lab);
        const certDir = `${workDir}/certs`;
        await issueLabCertificates(lab, certDir);
        const rows: Row[] = [
          sssonector(lab, certDir, "sssonector"),
          ...(options.builds ?? []).map((b) => sssonector(lab, certDir, b.label, b.launcher)),
          {
            label: "wireguard-go",
            udp: true,
            start: async (dir) => {
              const tunnel = await WireguardTunnel.start(lab, dir);
              return {
                serverIp: WIREGUARD_SERVER_IP,
                clientIp: WIREGUARD_CLIENT_IP,
                ...bind(tunnel),
              };
            },
          },
          ...("version" in openvpn
            ? [{
              label: "openvpn-udp",
              udp: true,
              start: async (dir: string) => {
                const tunnel = await OpenVpnTunnel.start(lab, { certDir, dir, proto: "udp" });
                return {
                  serverIp: OPENVPN_SERVER_IP,
                  clientIp: OPENVPN_CLIENT_IP,
                  ...bind(tunnel),
                };
              },
            }]
            : []),
        ];
        const link = await WanLink.start(lab, relay, profile, 1);
        const samples: RoundSample[] = [];
        try {
          for (let round = 1; round <= rounds; round++) {
            const order = round % 2 === 1 ? rows : [...rows].reverse();
            for (const row of order) {
              say(`==> round ${round}/${rounds}: ${row.label}`);
              const dir = `${workDir}/r${round}-${row.label}`;
              await Deno.mkdir(dir, { recursive: true });
              const base = { label: row.label, udp: row.udp, round };
              try {
                const tunnel = await row.start(dir);
                try {
                  const trace = options.trace ? [`# round ${round} ${row.label}`] : undefined;
                  try {
                    samples.push({
                      ...base,
                      status: "ok",
                      ...await measure(lab, link, tunnel, seconds, trace),
                    });
                  } finally {
                    if (trace) traces.push(...trace);
                  }
                } finally {
                  await tunnel.stop();
                }
              } catch (error) {
                const note = errorMessage(error).split("\n")[0]!.slice(0, 200);
                say(`    failed: ${note}`);
                samples.push({ ...base, status: "failed", note, ...EMPTY });
              }
            }
          }
        } finally {
          await link.stop();
        }
        say("");
        say(
          `${profile.name}, ${rounds} rounds, ${seconds} s per transfer, ${
            loadedPingCount(seconds, LOADED_PING_DELAY_MS, PING_INTERVAL_MS)
          } loaded pings`,
        );
        say(formatRounds(samples));
        const resultsDir = options.resultsDir ?? "tests/results";
        await Deno.mkdir(resultsDir, { recursive: true });
        const path = `${await Deno.realPath(resultsDir)}/wan-rounds-${resultFileName(started)}`;
        const report = {
          schema: "sssonector-bench-wan-rounds/1",
          date: started,
          profile: profile.name,
          seconds,
          samples,
        };
        await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
        say(`results: ${path}`);
        if (options.trace) {
          await Deno.writeTextFile(
            path.replace(/\.json$/, "") + "-trace.txt",
            traces.join("\n") + "\n",
          );
          say(`trace: ${path.replace(/\.json$/, "")}-trace.txt`);
        }
        return samples.some((s) => !s.udp && s.status === "ok") ? 0 : 1;
      },
    );
  } catch (error) {
    console.error(`sssonector: bench --wan --rounds failed: ${errorMessage(error)}`);
    return 1;
  }
}

const EMPTY = {
  idleMs: NaN,
  loadedMs: [],
  loadedSent: 0,
  upBps: NaN,
  downBps: NaN,
  queueP50Ms: NaN,
  queueP95Ms: NaN,
};

function bind(tunnel: { stop(): Promise<void> }): { stop: () => Promise<void> } {
  return { stop: () => tunnel.stop() };
}

if (import.meta.main) {
  const builds: { label: string; launcher: string }[] = [];
  let rounds: number | undefined;
  let seconds: number | undefined;
  let profile: string | undefined;
  let trace = false;
  for (let i = 0; i < Deno.args.length; i++) {
    const [flag, value] = [Deno.args[i], Deno.args[i + 1]];
    if (flag === "--rounds" && value) rounds = Number(Deno.args[++i]);
    else if (flag === "--seconds" && value) seconds = Number(Deno.args[++i]);
    else if (flag === "--profile" && value) profile = Deno.args[++i];
    else if (flag === "--trace") trace = true;
    else if (flag === "--build" && value?.includes("=")) {
      const [label, launcher] = value.split("=", 2) as [string, string];
      builds.push({ label, launcher });
      i++;
    } else {
      console.error(
        "usage: wan_rounds.ts [--rounds N] [--seconds S] [--profile NAME] [--trace] " +
          "[--build LABEL=LAUNCHER]...",
      );
      Deno.exit(2);
    }
  }
  Deno.exit(
    await runWanRounds({
      builds,
      trace,
      ...(profile === undefined ? {} : { profile }),
      ...(rounds === undefined ? {} : { rounds }),
      ...(seconds === undefined ? {} : { seconds }),
    }),
  );
}
