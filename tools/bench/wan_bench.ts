/**
 * `./sssonector bench --wan [--quick]`: SSSonector beside OpenVPN over UDP and over TCP and
 * wireguard-go, across emulated wide-area paths (tools/lab/wan_link.ts: delay, random loss, a
 * bottleneck), in one three-namespace lab. Prints one table and writes the data as JSON to
 * tests/results/. Cleans up on success, failure and Ctrl-C. This measures; it never judges.
 */
import { withLabWorkspace } from "../lab/workspace.ts";
import { issueLabCertificates } from "../lab/lab_configs.ts";
import { buildRelay, plainFrames, WAN_PROFILES, WanLink } from "../lab/wan_link.ts";
import { clockTicksPerSecond } from "./_proc.ts";
import { machineInfo } from "./machine.ts";
import { ensureOpenvpn } from "./openvpn.ts";
import { resultFileName } from "./result_file.ts";
import type { RowContext } from "./rows.ts";
import {
  formatWanReport,
  loadedPingCount,
  type WanPathResult,
  type WanReport,
} from "./wan_table.ts";
import { wanRow, type WanRowId, type WanRowResult } from "./wan_rows.ts";
import { wireguardVersion } from "./wireguard.ts";
import { errorMessage } from "../../src/base/error_message.ts";

export interface WanBenchOptions {
  /** 5 s per direction instead of 10. */
  readonly quick: boolean;
  /** @default "tests/results" */
  readonly resultsDir?: string;
}

const ROWS: readonly WanRowId[] = [
  "none",
  "sssonector",
  "openvpn-udp",
  "openvpn-tcp",
  "wireguard-go",
];

function say(line: string): void {
  console.log(line);
}

/** Runs the WAN benchmark; returns 0, or 1 when a SSSonector row could not be measured. */
export async function runWanBench(options: WanBenchOptions): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error("sssonector: the benchmark needs root; run: sudo ./sssonector bench --wan");
    return 1;
  }
  const started = new Date();
  const seconds = options.quick ? 5 : 10;
  try {
    return await withLabWorkspace("sssonector-bench-wan-", say, async ({ workDir, createLab }) => {
      const openvpn = await ensureOpenvpn(say);
      const wg = await wireguardVersion();
      const peers = {
        openvpn,
        wireguard: wg ? { version: wg } : {
          missing: "wireguard-go or wg is not installed (apt-get install wireguard-go " +
            "wireguard-tools)",
        },
      };
      const machine = await machineInfo("version" in openvpn ? openvpn.version : null);
      const lab = await createLab("wan", { middle: true });
      const relay = await buildRelay(workDir);
      await plainFrames(lab);
      const certDir = `${workDir}/certs`;
      await issueLabCertificates(lab, certDir);
      const ctx: RowContext = {
        lab,
        certDir,
        workDir,
        tunnelMtu: 1500,
        say,
        plan: {
          seconds,
          pingCount: loadedPingCount(seconds, 2000, 50),
          pingIntervalMs: 50,
          loadedPingDelayMs: 2000,
          ticksPerSecond: await clockTicksPerSecond(),
        },
      };
      say(`==> ${seconds} s per direction; lab, configs and logs in ${workDir}`);
      const paths: WanPathResult[] = [];
      for (const profile of WAN_PROFILES) {
        say(`==> path ${profile.name}`);
        const link = await WanLink.start(lab, relay, profile, paths.length + 1);
        const rows: WanRowResult[] = [];
        try {
          for (const id of ROWS) {
            rows.push(await wanRow({ ...ctx, workDir: `${workDir}/${profile.name}` }, id, peers));
          }
        } finally {
          const { counters } = await link.stop();
          paths.push({ profile, rows, relay: counters });
        }
      }
      const report: WanReport = {
        schema: "sssonector-bench-wan/1",
        date: started.toISOString(),
        machine: `nproc ${machine.nproc}, kernel ${machine.kernel}, load ${machine.loadAverage}; ` +
          `sssonector ${machine.sssonector}, deno ${machine.deno}, ${
            machine.openvpn ?? "no openvpn"
          }, ` +
          (wg ?? "no wireguard-go"),
        seconds,
        pingCount: ctx.plan.pingCount,
        pingIntervalMs: ctx.plan.pingIntervalMs,
        loadedPingDelayMs: ctx.plan.loadedPingDelayMs,
        paths,
      };
      say("");
      say(formatWanReport(report));
      const resultsDir = options.resultsDir ?? "tests/results";
      await Deno.mkdir(resultsDir, { recursive: true });
      const resultPath = `${await Deno.realPath(resultsDir)}/wan-${resultFileName(started)}`;
      await Deno.writeTextFile(resultPath, JSON.stringify(report, null, 2) + "\n");
      say(`results: ${resultPath}`);
      return paths.every((path) =>
          path.rows.some((row) => row.id === "sssonector" && row.status === "ok")
        )
        ? 0
        : 1;
    });
  } catch (error) {
    console.error(`sssonector: bench --wan failed: ${errorMessage(error)}`);
    return 1;
  }
}
