/**
 * The soak: a server and a client in the lab for N minutes (default 10) with ping traffic
 * throughout, the client restarted every minute (a reconnect), and on every other minute a
 * stranger's flood from the client's host (600 idle connections, then back-to-back handshakes
 * without a certificate). The server's RSS and open descriptors are sampled every 5 s; the curve
 * is printed and written as JSON to tests/results/. Not run in CI: it takes its minutes.
 */
import { issueLabCertificates, writeLabConfigs } from "../lab/lab_configs.ts";
import { run } from "../lab/netns_lab.ts";
import { TunnelProcess } from "../lab/tunnel_process.ts";
import { withLabWorkspace } from "../lab/workspace.ts";
import { readProcFile } from "./_proc.ts";

const STRANGER = new URL("../lab/stranger.ts", import.meta.url).pathname;
const SAMPLE_MS = 5000;

interface Sample {
  readonly second: number;
  readonly rssMiB: number;
  readonly fds: number;
  readonly event: string;
}

async function serverState(pid: number): Promise<{ rssMiB: number; fds: number }> {
  const status = await readProcFile(`/proc/${pid}/status`);
  const rssMiB = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]) / 1024;
  const fds = Number((await run("sh", ["-c", `ls /proc/${pid}/fd | wc -l`])).stdout.trim());
  return { rssMiB, fds };
}

export async function runSoak(minutes = 10): Promise<number> {
  const say = (line: string) => console.log(line);
  return await withLabWorkspace("sssonector-soak-", say, async ({ workDir, createLab }) => {
    const lab = await createLab("soak");
    const certDir = `${workDir}/certs`;
    await issueLabCertificates(lab, certDir);
    const configs = await writeLabConfigs(lab, { certDir, dir: workDir });
    const server = TunnelProcess.start(lab, lab.server, configs.serverConfig, configs.serverLog);
    await server.waitForLog(/listening on/);
    const pid = server.child.pid;
    let client = TunnelProcess.start(lab, lab.client, configs.clientConfig, configs.clientLog);
    await client.waitForLog(/connected to/);
    const pinger = lab.spawn(lab.client, "ping", [
      "-n",
      "-q",
      "-i",
      "0.2",
      "-w",
      `${minutes * 60}`,
      "10.0.0.1",
    ], {
      stdout: "piped",
    });
    const samples: Sample[] = [];
    const started = performance.now();
    let event = "start";
    const sampler = setInterval(async () => {
      const second = Math.round((performance.now() - started) / 1000);
      const state = await serverState(pid).catch(() => ({ rssMiB: NaN, fds: NaN }));
      samples.push({ second, ...state, event });
      say(
        `${String(second).padStart(4)} s  rss ${
          state.rssMiB.toFixed(1)
        } MiB  fds ${state.fds}  ${event}`,
      );
      event = "";
    }, SAMPLE_MS);
    try {
      for (let minute = 0; minute < minutes; minute++) {
        const minuteEnd = started + (minute + 1) * 60_000;
        if (minute > 0) {
          event = "client restarted";
          await client.stop();
          client = TunnelProcess.start(lab, lab.client, configs.clientConfig, configs.clientLog);
        }
        if (minute % 2 === 1) {
          event += (event ? ", " : "") + "stranger flood";
          const strangers = [
            ["idle", lab.server.ip, "443", "600", "15000"],
            ["handshakes", lab.server.ip, "443", "15000"],
          ].map((args) =>
            lab.spawn(lab.client, Deno.execPath(), ["run", "-A", "--quiet", STRANGER, ...args])
          );
          await Promise.all(strangers.map((child) => child.status));
        }
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, minuteEnd - performance.now()))
        );
      }
    } finally {
      clearInterval(sampler);
    }
    const pings = new TextDecoder().decode((await pinger.output()).stdout);
    await client.stop();
    await server.stop();
    const first = samples.find((s) => s.second >= 20) ?? samples[0]!;
    const last = samples.at(-1)!;
    say(`\nping: ${pings.trim().split("\n").slice(-2).join("; ")}`);
    say(
      `server RSS ${first.rssMiB.toFixed(1)} MiB at ${first.second} s, ${
        last.rssMiB.toFixed(1)
      } at the end; ` +
        `fds ${first.fds} -> ${last.fds}; peak RSS ${
          Math.max(...samples.map((s) => s.rssMiB)).toFixed(1)
        } MiB`,
    );
    const file = `tests/results/soak-${new Date().toISOString().replace(/[:.]/g, "")}.json`;
    await Deno.mkdir("tests/results", { recursive: true });
    await Deno.writeTextFile(file, JSON.stringify({ minutes, samples, pings }, null, 2));
    say(`wrote ${file}`);
    return 0;
  });
}
