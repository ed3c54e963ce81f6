/**
 * `./sssonector bench --sessions N [--quick]`: one real server holding N/10, N/4, N/2 and N idle
 * sessions, opened by the protocol-level generator (tools/bench/session_hold.ts) from another
 * namespace: every session its own certificate (tools/bench/session_certs.ts), its own source
 * address (one per session, from 198.19.0.0/16 on the generator's veth) and its own tunnel
 * address (10.100.0.0/16). At each level, after the set-ups, the server is left idle for a window
 * with keepalives flowing both ways; then its RSS/PSS/private memory, descriptors and CPU over the
 * window, the keepalive round trips the generator measured, and the time one more client takes
 * to be admitted. Prints a table and writes the data as JSON to tests/results/.
 *
 * The descriptor limit of this process (inherited by the server and the generator, which raise
 * their soft limit to it) must cover a descriptor per session on each side: it is raised first
 * when it is lower and may be.
 *
 * @module
 */

import { withLabWorkspace } from "../lab/workspace.ts";
import { issueLabCertificates, LAB_INTERFACE } from "../lab/lab_configs.ts";
import { type LabHost, type NetnsLab, run, runOk } from "../lab/netns_lab.ts";
import { TunnelProcess } from "../lab/tunnel_process.ts";
import {
  clockTicksPerSecond,
  findProcess,
  readMemory,
  readProcStat,
  TUNNEL_COMM,
} from "./_proc.ts";
import { cpuSecondsBetween } from "./proc_stat.ts";
import { machineInfo } from "./machine.ts";
import { resultFileName } from "./result_file.ts";
import { issueSessionCertificates } from "./session_certs.ts";
import type { HoldPlan, HoldReply } from "./session_hold.ts";
import {
  formatSessionsReport,
  kibPerSession,
  type SessionLevel,
  sessionLevels,
  type SessionsReport,
} from "./sessions_table.ts";
import { errorMessage } from "../../src/base/error_message.ts";

export interface SessionsBenchOptions {
  readonly quick: boolean;
  /** Sessions at the last level. */
  readonly sessions: number;
  /** @default "tests/results" */
  readonly resultsDir?: string;
}

const HOLD = new URL("./session_hold.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;
/** The server's keepalive interval (its default) and the generator's Ping interval. */
const KEEPALIVE_SECONDS = 10;
const CONCURRENCY = 64;
/** New clients timed alone at each level. */
const PROBES = 3;
const SOURCE_NETWORK = "198.19";
const TUNNEL_NETWORK = "10.100";

function say(line: string): void {
  console.log(line);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The `index`-th host address of a /16 `network` (two octets), from .0.1 on, skipping the host
 * parts ending in .0 and .255 (some stacks refuse them).
 */
export function hostAddress(network: string, index: number): string {
  const perBlock = 254;
  const block = Math.floor(index / perBlock);
  if (block > 255) throw new RangeError(`A /16 has no host address number ${index}`);
  return `${network}.${block}.${(index % perBlock) + 1}`;
}

/**
 * The `index`-th source address: consecutive sessions come from different /24s (256 of them, in
 * turn), as clients spread over the internet would, so the server's per-network caps on pending
 * connections (security.max_pending_per_network4, per /24 by default) see a crowd, not a flood.
 */
export function sourceAddress(network: string, index: number): string {
  const host = Math.floor(index / 256) + 1;
  if (host > 254) throw new RangeError(`A /16 has no source address number ${index}`);
  return `${network}.${index % 256}.${host}`;
}

/** The generator, started in its namespace, answering one JSON line per command. */
class HoldProcess {
  readonly child: Deno.ChildProcess;
  #lines: AsyncIterator<string>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(lab: NetnsLab, host: LabHost, planFile: string) {
    this.child = lab.spawn(host, Deno.execPath(), [
      ...["run", "-A", "--quiet", "--frozen", "--config", DENO_JSON, HOLD, planFile],
    ], { stdin: "piped", stdout: "piped", stderr: "inherit" });
    this.#writer = this.child.stdin.getWriter();
    this.#lines = lineReader(this.child.stdout);
  }

  async ask(command: string): Promise<HoldReply> {
    await this.#writer.write(new TextEncoder().encode(command + "\n"));
    const { value, done } = await this.#lines.next();
    if (done) throw new Error(`the session generator ended before answering "${command}"`);
    const reply = JSON.parse(value) as HoldReply;
    if (reply.kind === "error") throw new Error(`session generator: ${reply.message}`);
    return reply;
  }

  async quit(): Promise<void> {
    await this.#writer.write(new TextEncoder().encode("quit\n")).catch(() => {});
    await this.#writer.close().catch(() => {});
  }
}

async function* lineReader(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    let end: number;
    while ((end = text.indexOf("\n")) >= 0) {
      const line = text.slice(0, end);
      text = text.slice(end + 1);
      if (line.startsWith("{")) yield line;
    }
  }
}

async function descriptorCount(pid: number): Promise<number> {
  const { stdout } = await run("sh", ["-c", `ls /proc/${pid}/fd | wc -l`]);
  return Number(stdout.trim());
}

/** The server's figures over one idle window with `hold`'s sessions up. */
async function measureWindow(
  ids: { server: number; generator: number },
  hold: HoldProcess,
  windowSeconds: number,
  ticks: number,
): Promise<Omit<SessionLevel, "sessions" | "setups" | "admissionMs">> {
  await hold.ask("rtt"); // starts the window's round-trip samples afresh
  const before = await Promise.all([readProcStat(ids.server), readProcStat(ids.generator)]);
  const started = performance.now();
  await pause(windowSeconds * 1000);
  const after = await Promise.all([readProcStat(ids.server), readProcStat(ids.generator)]);
  const seconds = (performance.now() - started) / 1000;
  const rtt = await hold.ask("rtt");
  if (rtt.kind !== "rtt") throw new Error(`unexpected reply: ${JSON.stringify(rtt)}`);
  return {
    memory: await readMemory(ids.server),
    fds: await descriptorCount(ids.server),
    cpuPercent: cpuSecondsBetween(before[0], after[0], ticks) / seconds * 100,
    generatorCpuPercent: cpuSecondsBetween(before[1], after[1], ticks) / seconds * 100,
    rtt: { samples: rtt.samples, medianMs: rtt.medianMs, p99Ms: rtt.p99Ms },
    lost: rtt.lost,
  };
}

function serverYaml(lab: NetnsLab, certDir: string, log: string, maxClients: number): string {
  return `mode: server
listen: ${lab.server.ip}:443
address: ${TUNNEL_NETWORK}.0.1/16
interface: ${LAB_INTERFACE}
max_clients: ${maxClients}
network:
  keepalive_interval: ${KEEPALIVE_SECONDS}
logging:
  level: info
  file: ${log}
security:
  tls:
    enabled: true
    min_version: "1.2"
    cert_file: ${certDir}/server.crt
    key_file: ${certDir}/server.key
    ca_file: ${certDir}/ca.crt
`;
}

/**
 * Makes sure this process, and so the server and the generator it starts, may open `needed`
 * descriptors (a session is one on each side): raises the hard limit when it is lower and this
 * process may (CAP_SYS_RESOURCE), else fails with what to do.
 */
async function ensureDescriptors(needed: number): Promise<void> {
  const hard = Number(
    await runOk("prlimit", [
      "--pid",
      String(Deno.pid),
      "--nofile",
      "--output",
      "HARD",
      "--noheadings",
    ]),
  );
  if (hard >= needed) return;
  const raised = await run("prlimit", ["--pid", String(Deno.pid), `--nofile=${needed}:${needed}`]);
  if (raised.code !== 0) {
    throw new Error(
      `the descriptor limit is ${hard} and ${needed} are needed, and raising it failed ` +
        `(${raised.stderr.trim()}): run with a higher ulimit -Hn, or ask for fewer sessions`,
    );
  }
}

/** Runs the sessions benchmark; 0 when every level was reached, else 1. */
export async function runSessionsBench(options: SessionsBenchOptions): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error(
      "sssonector: the benchmark needs root; run: sudo ./sssonector bench --sessions N",
    );
    return 1;
  }
  const started = new Date();
  const windowSeconds = options.quick ? 5 : 20;
  const levels = sessionLevels(options.sessions);
  // Every session and every probe has its own certificate, tunnel address and source address.
  const identities = options.sessions + PROBES * levels.length + 10;
  try {
    await ensureDescriptors(identities + 1024);
    return await withLabWorkspace("sssonector-bench-sessions-", say, async (space) => {
      const machine = await machineInfo(null);
      const lab = await space.createLab("sessions");
      const certDir = `${space.workDir}/certs`;
      await issueLabCertificates(lab, certDir);
      say(`==> ${identities} source addresses on the generator's veth, and a route to them`);
      const sources = Array.from(
        { length: identities },
        (_, i) => sourceAddress(SOURCE_NETWORK, i),
      );
      const batch = await run("ip", ["-n", lab.client.ns, "-batch", "-"], {
        stdin: sources.map((ip) => `addr add ${ip}/16 dev ${lab.client.veth}`).join("\n") + "\n",
      });
      if (batch.code !== 0) throw new Error(`ip -batch failed: ${batch.stderr.trim()}`);
      // Through the generator's own address: the server then has one neighbour to resolve, not
      // one per source (its neighbour table holds 1024 by default, and the 1025th source's SYNs
      // would go unanswered).
      await lab.exec(lab.server, "ip", [
        ...["route", "add", `${SOURCE_NETWORK}.0.0/16`, "via", lab.client.ip],
      ]);
      say(`==> ${identities} client certificates (one shared key)`);
      const names = Array.from({ length: identities }, (_, i) => `hold${i + 1}`);
      const issued = await issueSessionCertificates(names, {
        certPem: await Deno.readTextFile(`${certDir}/ca.crt`),
        keyPem: await Deno.readTextFile(`${certDir}/ca.key`),
      });
      const plan: HoldPlan = {
        host: lab.server.ip,
        port: 443,
        caFile: `${certDir}/ca.crt`,
        keyFile: `${space.workDir}/hold.key`,
        certsFile: `${space.workDir}/hold-certs.json`,
        // The server's own tunnel address is the network's first: sessions start at the second.
        addresses: names.map((_, i) => `${hostAddress(TUNNEL_NETWORK, i + 1)}/16`),
        sources,
        concurrency: CONCURRENCY,
        pingIntervalMs: KEEPALIVE_SECONDS * 1000,
      };
      await Deno.writeTextFile(plan.keyFile, issued.keyPem, { mode: 0o600 });
      await Deno.writeTextFile(plan.certsFile, JSON.stringify(issued.certPems));
      const planFile = `${space.workDir}/hold-plan.json`;
      await Deno.writeTextFile(planFile, JSON.stringify(plan));

      const serverConfig = `${space.workDir}/server.yaml`;
      const serverLog = `${space.workDir}/server.log`;
      await Deno.writeTextFile(serverConfig, serverYaml(lab, certDir, serverLog, identities));
      const server = TunnelProcess.start(lab, lab.server, serverConfig, serverLog);
      let hold: HoldProcess | undefined;
      try {
        await server.waitForLog(/listening on/);
        const serverPid = (await findProcess(server.child.pid, TUNNEL_COMM)).pid;
        hold = new HoldProcess(lab, lab.client, planFile);
        const ids = { server: serverPid, generator: hold.child.pid };
        const ticks = await clockTicksPerSecond();
        const measured: SessionLevel[] = [];
        const notes: string[] = [];
        say(`==> no session: ${windowSeconds} s idle`);
        await pause(2000);
        measured.push({
          sessions: 0,
          ...await measureWindow(ids, hold, windowSeconds, ticks),
          setups: null,
          admissionMs: [],
        });
        for (const level of levels) {
          say(`==> opening sessions up to ${level}`);
          const opened = await hold.ask(`open ${level}`);
          if (opened.kind !== "open") {
            throw new Error(`unexpected reply: ${JSON.stringify(opened)}`);
          }
          say(
            `    ${opened.open} up, ${opened.opened} opened at ${opened.perSecond.toFixed(0)}/s, ` +
              `${opened.failed} failed`,
          );
          // The set-ups' garbage collected, the keepalive timers spread out.
          await pause(3000);
          say(`    ${windowSeconds} s idle with keepalives`);
          const window = await measureWindow(ids, hold, windowSeconds, ticks);
          const admissionMs: number[] = [];
          for (let probe = 0; probe < PROBES; probe++) {
            const reply = await hold.ask("probe");
            if (reply.kind !== "probe") {
              throw new Error(`unexpected reply: ${JSON.stringify(reply)}`);
            }
            if (reply.ok) admissionMs.push(reply.ms);
            else notes.push(`a new client at ${opened.open} was not admitted: ${reply.error}`);
          }
          measured.push({
            sessions: opened.open,
            ...window,
            setups: {
              opened: opened.opened,
              failed: opened.failed,
              perSecond: opened.perSecond,
              medianMs: opened.setupMedianMs,
              p99Ms: opened.setupP99Ms,
              failures: opened.failures,
            },
            admissionMs,
          });
          say(
            `    rss ${(window.memory.rssKiB / 1024).toFixed(0)} MiB, cpu ` +
              `${window.cpuPercent.toFixed(1)} %, admission ${
                admissionMs.map((ms) => ms.toFixed(0)).join("/")
              } ms`,
          );
          if (opened.open < level) {
            notes.push(`stopped at ${opened.open} sessions: ${level} were not reached`);
            break;
          }
        }
        const points = (pick: (level: SessionLevel) => number) =>
          measured.map((level) => [level.sessions, pick(level)] as const);
        const report: SessionsReport = {
          schema: "sssonector-bench-sessions/1",
          date: started.toISOString(),
          machine,
          settings: {
            quick: options.quick,
            target: options.sessions,
            windowSeconds,
            concurrency: CONCURRENCY,
            keepaliveSeconds: KEEPALIVE_SECONDS,
            sourceAddresses: sources.length,
          },
          levels: measured,
          rssKiBPerSession: kibPerSession(points((level) => level.memory.rssKiB)),
          privateKiBPerSession: kibPerSession(points((level) => level.memory.privateKiB)),
          notes,
        };
        say("");
        say(formatSessionsReport(report));
        const resultsDir = options.resultsDir ?? "tests/results";
        await Deno.mkdir(resultsDir, { recursive: true });
        const resultPath = `${await Deno.realPath(resultsDir)}/sessions-${resultFileName(started)}`;
        await Deno.writeTextFile(resultPath, JSON.stringify(report, null, 2) + "\n");
        say(`results: ${resultPath}`);
        return measured.at(-1)?.sessions === levels.at(-1) ? 0 : 1;
      } catch (error) {
        const log = (await server.log()).trimEnd().split("\n").slice(-8).join("\n");
        throw new Error(`${errorMessage(error)}\nserver log:\n${log}`);
      } finally {
        await hold?.quit();
        if (hold) await lab.stop(hold.child, 5000);
        await server.stop();
      }
    });
  } catch (error) {
    console.error(`sssonector: bench --sessions failed: ${errorMessage(error)}`);
    return 1;
  }
}
