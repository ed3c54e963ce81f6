/**
 * `sssonector demo`: a two-host tunnel on one machine. Two network namespaces joined by veth,
 * certificates from a fresh CA, a real server and client started from YAML files, then pings both
 * ways, a short throughput run and a summary. Cleans up on success, failure and Ctrl-C.
 */
import { prepareLab } from "../lab/lab_configs.ts";
import { withLabWorkspace } from "../lab/workspace.ts";
import { TunnelProcess } from "../lab/tunnel_process.ts";
import { runIperf } from "../lab/iperf.ts";
import { measurePing, type PingStats } from "../lab/ping.ts";
import { errorMessage } from "../../src/runtime/error_message.ts";

const SERVER_TUNNEL_IP = "10.0.0.1";
const CLIENT_TUNNEL_IP = "10.0.0.2";

function step(text: string): void {
  console.log(`==> ${text}`);
}

function formatPing(stats: PingStats): string {
  return `${stats.received}/${stats.sent} replies, rtt min/avg/max ${stats.minMs.toFixed(3)}/` +
    `${stats.avgMs.toFixed(3)}/${stats.maxMs.toFixed(3)} ms`;
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
        const server = TunnelProcess.start(
          lab,
          lab.server,
          configs.serverConfig,
          configs.serverLog,
        );
        await server.waitForLog(/listening on/);
        step(`starting the client: sssonector -config ${configs.clientConfig}`);
        const client = TunnelProcess.start(
          lab,
          lab.client,
          configs.clientConfig,
          configs.clientLog,
        );
        const connected = await client.waitForLog(/connected to .*/);
        const tls = /(TLSv1\.[23])\W+\s*(TLS_[A-Z0-9_]+|[A-Z0-9-]+-[A-Z0-9-]+)/.exec(connected);

        step(`ping ${SERVER_TUNNEL_IP} from the client through the tunnel`);
        const toServer = await measurePing(lab, lab.client, SERVER_TUNNEL_IP, 10);
        console.log(`    ${formatPing(toServer)}`);
        step(`ping ${CLIENT_TUNNEL_IP} from the server through the tunnel`);
        const toClient = await measurePing(lab, lab.server, CLIENT_TUNNEL_IP, 10);
        console.log(`    ${formatPing(toClient)}`);

        step("throughput, one TCP stream for 3 s each way (iperf3)");
        const upload = (await runIperf(lab, {
          from: lab.client,
          to: lab.server,
          toIp: SERVER_TUNNEL_IP,
          seconds: 3,
        })).bitsPerSecond;
        const download = (await runIperf(lab, {
          from: lab.server,
          to: lab.client,
          toIp: CLIENT_TUNNEL_IP,
          seconds: 3,
        })).bitsPerSecond;

        await client.stop();
        await server.stop();

        console.log("");
        console.log("SSSonector demo summary");
        console.log(
          `  handshake        mutual TLS, ${tls ? `${tls[1]} ${tls[2]}` : "see client log"}`,
        );
        console.log(
          `  tunnel           ${CLIENT_TUNNEL_IP} (client) <-> ${SERVER_TUNNEL_IP} (server), MTU 1500`,
        );
        console.log(
          `  rtt client->srv  ${
            toServer.avgMs.toFixed(3)
          } ms avg (${toServer.received}/${toServer.sent})`,
        );
        console.log(
          `  rtt srv->client  ${
            toClient.avgMs.toFixed(3)
          } ms avg (${toClient.received}/${toClient.sent})`,
        );
        console.log(`  client -> server ${(upload / 1e9).toFixed(2)} Gbit/s`);
        console.log(`  server -> client ${(download / 1e9).toFixed(2)} Gbit/s`);
        const ok = toServer.received > 0 && toClient.received > 0 && upload > 0 && download > 0;
        console.log(ok ? "  result           tunnel works both ways" : "  result           FAILED");
        return ok ? 0 : 1;
      },
    );
  } catch (error) {
    console.error(
      `sssonector: demo failed: ${errorMessage(error)}`,
    );
    return 1;
  }
}
