/**
 * `./sssonector demo`: a two-host tunnel on one machine. Two network namespaces joined by veth,
 * certificates from a fresh CA, a real server and client started from YAML files, then pings both
 * ways, a short throughput run and a summary. Cleans up on success, failure and Ctrl-C. All the
 * work is the lab's (tools/lab/); this file only orders the steps and prints them.
 */
import { runIperf } from "../lab/iperf.ts";
import { prepareLab } from "../lab/lab_configs.ts";
import { LabTunnel } from "../lab/lab_tunnel.ts";
import { measurePing, type PingStats } from "../lab/ping.ts";
import { withLabWorkspace } from "../lab/workspace.ts";
import { errorMessage } from "../../src/base/error_message.ts";

const SERVER_TUNNEL_IP = "10.0.0.1";
const CLIENT_TUNNEL_IP = "10.0.0.2";

/** What the demo measured, for its summary. */
export interface DemoResult {
  /** The client's `connected to ...` log line. */
  readonly connected: string;
  readonly toServer: PingStats;
  readonly toClient: PingStats;
  readonly uploadBps: number;
  readonly downloadBps: number;
}

function step(text: string): void {
  console.log(`==> ${text}`);
}

function formatPing(stats: PingStats): string {
  return `${stats.received}/${stats.sent} replies, rtt min/avg/max ${stats.minMs.toFixed(3)}/` +
    `${stats.avgMs.toFixed(3)}/${stats.maxMs.toFixed(3)} ms`;
}

/** Whether traffic crossed the tunnel both ways. */
export function demoWorked(result: DemoResult): boolean {
  return result.toServer.received > 0 && result.toClient.received > 0 &&
    result.uploadBps > 0 && result.downloadBps > 0;
}

/** The closing summary: handshake, addresses, round trips, throughput and the verdict. */
export function formatDemoSummary(result: DemoResult): string {
  const { toServer, toClient } = result;
  const tls = /(TLSv1\.[23])\W+\s*(TLS_[A-Z0-9_]+|[A-Z0-9-]+-[A-Z0-9-]+)/.exec(result.connected);
  const rtt = (stats: PingStats) =>
    `${stats.avgMs.toFixed(3)} ms avg (${stats.received}/${stats.sent})`;
  return [
    "SSSonector demo summary",
    `  handshake        mutual TLS, ${tls ? `${tls[1]} ${tls[2]}` : "see client log"}`,
    `  tunnel           ${CLIENT_TUNNEL_IP} (client) <-> ${SERVER_TUNNEL_IP} (server), MTU 1500`,
    `  rtt client->srv  ${rtt(toServer)}`,
    `  rtt srv->client  ${rtt(toClient)}`,
    `  client -> server ${(result.uploadBps / 1e9).toFixed(2)} Gbit/s`,
    `  server -> client ${(result.downloadBps / 1e9).toFixed(2)} Gbit/s`,
    `  result           ${demoWorked(result) ? "tunnel works both ways" : "FAILED"}`,
  ].join("\n");
}

export async function runDemo(): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error(
      "sssonector: the demo needs root for TUN devices and network namespaces; run: sudo ./sssonector demo",
    );
    return 1;
  }
  try {
    return await withLabWorkspace(
      "sssonector-demo-",
      (line) => console.log(line),
      async ({ workDir, createLab }) => {
        step("creating two network namespaces joined by a veth pair");
        const lab = await createLab("demo");
        console.log(
          `    server host ${lab.server.ns} at ${lab.server.ip}, client host ${lab.client.ns} at ${lab.client.ip}`,
        );

        step("generating a CA, a server and a client certificate");
        const configs = await prepareLab(lab, workDir);

        step(`starting the server: sssonector -config ${configs.serverConfig}`);
        step(`and the client:      sssonector -config ${configs.clientConfig}`);
        const tunnel = await LabTunnel.start(lab, configs);

        step(`ping ${SERVER_TUNNEL_IP} from the client through the tunnel`);
        const toServer = await measurePing(lab, lab.client, SERVER_TUNNEL_IP, 10);
        console.log(`    ${formatPing(toServer)}`);
        step(`ping ${CLIENT_TUNNEL_IP} from the server through the tunnel`);
        const toClient = await measurePing(lab, lab.server, CLIENT_TUNNEL_IP, 10);
        console.log(`    ${formatPing(toClient)}`);

        step("throughput, one TCP stream for 3 s each way (iperf3)");
        const iperf = { seconds: 3 };
        const upload = await runIperf(lab, {
          ...iperf,
          from: lab.client,
          to: lab.server,
          toIp: SERVER_TUNNEL_IP,
        });
        const download = await runIperf(lab, {
          ...iperf,
          from: lab.server,
          to: lab.client,
          toIp: CLIENT_TUNNEL_IP,
        });
        await tunnel.stop();

        const result: DemoResult = {
          connected: tunnel.connected,
          toServer,
          toClient,
          uploadBps: upload.bitsPerSecond,
          downloadBps: download.bitsPerSecond,
        };
        console.log("");
        console.log(formatDemoSummary(result));
        return demoWorked(result) ? 0 : 1;
      },
    );
  } catch (error) {
    console.error(`sssonector: demo failed: ${errorMessage(error)}`);
    return 1;
  }
}
