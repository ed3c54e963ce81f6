/** Measurements through the lab: ping round trips and iperf3 throughput. */
import { LabError, type LabHost, type NetnsLab } from "../lab/netns_lab.ts";

export interface PingStats {
  readonly sent: number;
  readonly received: number;
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
  /** Every reply's round trip, in order. */
  readonly samplesMs: readonly number[];
}

/** Parses the output of iputils ping. */
export function parsePing(output: string): PingStats {
  const counts = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  const samplesMs = [...output.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  const summary = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(output);
  return {
    sent: counts ? Number(counts[1]) : 0,
    received: counts ? Number(counts[2]) : 0,
    minMs: summary ? Number(summary[1]) : NaN,
    avgMs: summary ? Number(summary[2]) : NaN,
    maxMs: summary ? Number(summary[3]) : NaN,
    samplesMs,
  };
}

export async function measurePing(
  lab: NetnsLab,
  from: LabHost,
  to: string,
  count: number,
  intervalS = 0.2,
): Promise<PingStats> {
  const result = await lab.try(from, "ping", [
    "-c",
    String(count),
    "-i",
    String(intervalS),
    "-W",
    "2",
    to,
  ]);
  return parsePing(result.stdout);
}

export interface ThroughputRun {
  readonly from: LabHost;
  readonly to: LabHost;
  readonly toIp: string;
  readonly seconds: number;
  /** @default 5201 */
  readonly port?: number;
}

/** One TCP stream with iperf3; returns bits per second received. */
export async function measureThroughput(lab: NetnsLab, run: ThroughputRun): Promise<number> {
  const port = String(run.port ?? 5201);
  const server = lab.spawn(run.to, "iperf3", ["-s", "-1", "-p", port]);
  try {
    let last = "";
    for (let attempt = 0; attempt < 20; attempt++) {
      const result = await lab.try(run.from, "iperf3", [
        "-c",
        run.toIp,
        "-p",
        port,
        "-t",
        String(run.seconds),
        "-J",
      ]);
      // iperf3 -J exits 0 even when it could not connect; the error is inside the JSON.
      let report: { error?: string; end?: { sum_received?: { bits_per_second?: number } } } = {};
      try {
        report = JSON.parse(result.stdout);
      } catch {
        report = { error: result.stderr.trim() || "no JSON report" };
      }
      const bits = Number(report.end?.sum_received?.bits_per_second ?? 0);
      if (result.code === 0 && !report.error && bits > 0) return bits;
      last = report.error ?? result.stdout + result.stderr;
      await new Promise((resolve) => setTimeout(resolve, 200)); // server not listening yet
    }
    throw new LabError(`iperf3 to ${run.toIp} failed: ${last.slice(0, 300)}`);
  } finally {
    await lab.stop(server, 1000);
  }
}
