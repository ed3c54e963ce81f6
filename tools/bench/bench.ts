/**
 * `./sssonector bench [--quick] [--rounds N]`: SSSonector side by side with a plain veth link,
 * OpenVPN over TCP and over UDP and wireguard-go, in one fresh two-namespace lab, with the same certificates. Prints one table
 * and writes the same data as JSON to tests/results/. Cleans up on success, failure and Ctrl-C.
 *
 * This measures; it never judges. Numbers from a busy or small machine are noisy.
 */
import { withLabWorkspace } from "../lab/workspace.ts";
import { issueLabCertificates } from "../lab/lab_configs.ts";
import { clockTicksPerSecond } from "./_proc.ts";
import { machineInfo } from "./machine.ts";
import { ensureOpenvpn } from "./openvpn.ts";
import { resultFileName } from "./result_file.ts";
import { summarizeRounds } from "./rounds.ts";
import { openvpnRow, type RowContext, sssonectorRow, vethRow, wireguardRow } from "./rows.ts";
import { wireguardVersion } from "./wireguard.ts";
import { formatBenchReport } from "./table.ts";
import type { BenchReport, BenchRow, BenchSettings } from "./types.ts";
import { errorMessage } from "../../src/base/error_message.ts";

export interface BenchOptions {
  /** 2 s per direction and 10 pings per series instead of 10 s and 50. */
  readonly quick: boolean;
  /** Rounds of all rows. @default 1 when quick, else 3 */
  readonly rounds?: number;
  /** Folder for the JSON file, created when missing. @default "tests/results" */
  readonly resultsDir?: string;
}

const TUNNEL_MTU = 1500;

/** The measurement plan of a full or a quick run. */
export function benchSettings(quick: boolean, rounds?: number): BenchSettings {
  return {
    quick,
    rounds: rounds ?? (quick ? 1 : 3),
    throughputSeconds: quick ? 2 : 10,
    pingCount: quick ? 10 : 50,
    pingIntervalMs: 20,
    floodPingCount: quick ? 200 : 1000,
    loadedPingDelayMs: quick ? 500 : 1000,
    tunnelMtu: TUNNEL_MTU,
  };
}

function say(line: string): void {
  console.log(line);
}

/** Runs the benchmark; returns 0, or 1 when the SSSonector rows could not be measured. */
export async function runBench(options: BenchOptions): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error(
      "sssonector: the benchmark needs root for TUN devices and network namespaces; " +
        "run: sudo ./sssonector bench",
    );
    return 1;
  }
  const settings = benchSettings(options.quick, options.rounds);
  const started = new Date();
  try {
    return await withLabWorkspace("sssonector-bench-", say, async ({ workDir, createLab }) => {
      const openvpn = await ensureOpenvpn(say);
      const wireguard = await wireguardVersion();
      const machine = await machineInfo("version" in openvpn ? openvpn.version : null);
      say(
        `==> ${settings.quick ? "quick" : "full"} run: ${settings.rounds} round(s) of every row, ` +
          `${settings.throughputSeconds} s per direction; lab, configs and logs in ${workDir}`,
      );
      const lab = await createLab("bench");
      const certDir = `${workDir}/certs`;
      await issueLabCertificates(lab, certDir);
      const ctx: RowContext = {
        lab,
        certDir,
        workDir,
        tunnelMtu: settings.tunnelMtu,
        say,
        plan: {
          seconds: settings.throughputSeconds,
          pingCount: settings.pingCount,
          pingIntervalMs: settings.pingIntervalMs,
          floodPingCount: settings.floodPingCount,
          loadedPingDelayMs: settings.loadedPingDelayMs,
          ticksPerSecond: await clockTicksPerSecond(),
        },
      };
      const rounds: BenchRow[][] = [];
      for (let round = 1; round <= settings.rounds; round++) {
        if (settings.rounds > 1) say(`==> round ${round} of ${settings.rounds}`);
        // A folder per round: logs are appended to, and a round must not find the last one's
        // "listening on" and take a server that is still starting for a ready one.
        const roundCtx = { ...ctx, workDir: `${workDir}/round-${round}` };
        rounds.push([
          await vethRow(roundCtx),
          await sssonectorRow(roundCtx, true),
          await sssonectorRow(roundCtx, false),
          await openvpnRow(roundCtx, openvpn),
          await openvpnRow(roundCtx, openvpn, "udp"),
          await wireguardRow(roundCtx, wireguard),
        ]);
      }
      const summary = summarizeRounds(rounds, "openvpn-tcp");
      const rows = summary.rows;
      const report: BenchReport = {
        schema: "sssonector-bench/2",
        date: started.toISOString(),
        machine,
        settings,
        baseline: "openvpn-tcp",
        rows,
        spread: summary.spread,
        rounds: summary.rounds,
      };
      say("");
      say(formatBenchReport(report));
      const resultsDir = options.resultsDir ?? "tests/results";
      await Deno.mkdir(resultsDir, { recursive: true });
      const resultPath = await Deno.realPath(resultsDir) + "/" + resultFileName(started);
      await Deno.writeTextFile(resultPath, JSON.stringify(report, null, 2) + "\n");
      say(`results: ${resultPath}`);
      const measured = rows.filter((row) => row.id.startsWith("sssonector-"))
        .every((row) => row.status === "ok");
      return measured ? 0 : 1;
    });
  } catch (error) {
    console.error(
      `sssonector: bench failed: ${errorMessage(error)}`,
    );
    return 1;
  }
}
