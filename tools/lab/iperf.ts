/** One iperf3 TCP stream between the lab's hosts. */
import { LabError, type LabHost, type NetnsLab } from "./netns_lab.ts";
import { IperfError, type IperfResult, parseIperfReport } from "./iperf_report.ts";

export interface IperfRun {
  readonly from: LabHost;
  readonly to: LabHost;
  /** Address of `to` on the link under test. */
  readonly toIp: string;
  readonly seconds: number;
  /** @default 5201 */
  readonly port?: number;
}

/**
 * Starts a one-shot iperf3 server on `to` and a client on `from`, retrying the client while the
 * server is not listening yet; returns what the receiver got.
 */
export async function runIperf(lab: NetnsLab, run: IperfRun): Promise<IperfResult> {
  const port = String(run.port ?? 5201);
  const server = lab.spawn(run.to, "iperf3", ["-s", "-1", "-p", port]);
  try {
    let last: unknown;
    for (let attempt = 0; attempt < 50; attempt++) {
      const result = await lab.try(run.from, "iperf3", [
        ...["-c", run.toIp, "-p", port, "-t", String(run.seconds), "-J"],
      ]);
      try {
        return parseIperfReport(result.stdout);
      } catch (error) {
        if (!(error instanceof IperfError && error.refused)) throw error;
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new LabError(`iperf3 to ${run.toIp} never connected: ${String(last)}`);
  } finally {
    await lab.stop(server, 1000);
  }
}
