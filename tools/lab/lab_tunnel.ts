import type { LabConfigs } from "./lab_configs.ts";
import type { NetnsLab } from "./netns_lab.ts";
import { TunnelProcess } from "./tunnel_process.ts";

/** A server and a client of ours in the lab's two namespaces, connected, stopped together. */
export class LabTunnel implements AsyncDisposable {
  readonly server: TunnelProcess;
  readonly client: TunnelProcess;
  /** The client's `connected to ...` log line, which names the TLS version and cipher. */
  readonly connected: string;

  private constructor(server: TunnelProcess, client: TunnelProcess, connected: string) {
    this.server = server;
    this.client = client;
    this.connected = connected;
  }

  /**
   * Starts the server, waits until it listens, starts the client and waits until it has
   * connected; stops whatever it started when either never gets there.
   */
  static async start(lab: NetnsLab, configs: LabConfigs): Promise<LabTunnel> {
    const server = TunnelProcess.start(lab, lab.server, configs.serverConfig, configs.serverLog);
    let client: TunnelProcess | undefined;
    try {
      await server.waitForLog(/listening on/);
      client = TunnelProcess.start(lab, lab.client, configs.clientConfig, configs.clientLog);
      return new LabTunnel(server, client, await client.waitForLog(/connected to .*/));
    } catch (error) {
      await client?.stop();
      await server.stop();
      throw error;
    }
  }

  /** Stops the client, then the server (SIGTERM, then SIGKILL after the grace time). */
  async stop(): Promise<void> {
    await this.client.stop();
    await this.server.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
