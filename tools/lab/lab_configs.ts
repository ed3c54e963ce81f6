import { generateCertificates } from "../../src/pki/generate.ts";
import type { NetnsLab } from "./netns_lab.ts";

/** The TUN interface both lab configurations name. */
export const LAB_INTERFACE = "tun0";

export interface LabConfigOptions {
  /** Folder that holds the certificates (ca.crt, server.*, client.*). */
  readonly certDir: string;
  /** Folder to write server.yaml, client.yaml and their logs into. */
  readonly dir: string;
  /** @default 443 */
  readonly port?: number;
  /** @default 1500 */
  readonly mtu?: number;
  /** @default "info" */
  readonly level?: string;
  /** Client certificate stem in certDir. @default "client" */
  readonly clientName?: string;
  /** Client tunnel address (YAML: one address or a list). @default "10.0.0.2/24" */
  readonly clientAddress?: string;
  /** Server tunnel address (YAML: one address or a list). @default "10.0.0.1/24" */
  readonly serverAddress?: string;
  /** Top-level YAML appended to the server's file, e.g. a `clients:` list. */
  readonly serverExtra?: string;
  /** Top-level YAML appended to the client's file, e.g. `routes:`. */
  readonly clientExtra?: string;
  /** `network.offload` of both ends; left out of the files (the default applies) when absent. */
  readonly offload?: boolean;
  /** The client's log file instead of DIR/client.log; null logs to standard output. */
  readonly clientLog?: string | null;
  /** Extra keys of the server's `security:` section, e.g. `{ handshake_timeout: 2 }`. */
  readonly serverSecurity?: Readonly<Record<string, number | string>>;
}

export interface LabConfigs {
  readonly serverConfig: string;
  readonly clientConfig: string;
  readonly serverLog: string;
  readonly clientLog: string;
}

/** Writes the seed's two example configurations, adapted to the lab's addresses. */
export async function writeLabConfigs(
  lab: NetnsLab,
  options: LabConfigOptions,
): Promise<LabConfigs> {
  const { certDir, dir, port = 443, mtu = 1500, level = "info", clientName = "client" } = options;
  const paths = {
    serverConfig: `${dir}/server.yaml`,
    clientConfig: `${dir}/client.yaml`,
    serverLog: `${dir}/server.log`,
    clientLog: options.clientLog ?? `${dir}/client.log`,
  };
  const offloadLine = options.offload === undefined ? "" : `  offload: ${options.offload}\n`;
  const common = (log: string | null, cert: string, security = "") =>
    `interface: ${LAB_INTERFACE}
network:
${offloadLine}  mtu: ${mtu}
logging:
  level: ${level}
${log === null ? "" : `  file: ${log}\n`}security:
${security}  tls:
    enabled: true
    min_version: "1.2"
    cert_file: ${certDir}/${cert}.crt
    key_file: ${certDir}/${cert}.key
    ca_file: ${certDir}/ca.crt
`;
  await Deno.writeTextFile(
    paths.serverConfig,
    `mode: server\nlisten: ${lab.server.ip}:${port}\naddress: ${
      options.serverAddress ?? "10.0.0.1/24"
    }\n` +
      common(
        paths.serverLog,
        "server",
        Object.entries(options.serverSecurity ?? {}).map(([key, value]) => `  ${key}: ${value}\n`)
          .join(""),
      ) + (options.serverExtra ?? ""),
  );
  await Deno.writeTextFile(
    paths.clientConfig,
    `mode: client\nserver: ${lab.server.ip}:${port}\naddress: ${
      options.clientAddress ?? "10.0.0.2/24"
    }\n` +
      common(options.clientLog === null ? null : paths.clientLog, clientName) +
      (options.clientExtra ?? ""),
  );
  return paths;
}

/** Issues a fresh CA, a server certificate for the lab's server address and a client certificate. */
export async function issueLabCertificates(lab: NetnsLab, certDir: string): Promise<void> {
  await generateCertificates({
    certDir,
    serverIp: lab.server.ip,
    serverNames: [],
    clientName: "client",
    days: 1,
    keyType: "ecdsa-p256",
    force: false,
  });
}

/** Certificates into `dir`/certs and the two configurations into `dir`: a lab ready to start. */
export async function prepareLab(
  lab: NetnsLab,
  dir: string,
): Promise<LabConfigs & { readonly certDir: string }> {
  const certDir = `${dir}/certs`;
  await issueLabCertificates(lab, certDir);
  return { certDir, ...(await writeLabConfigs(lab, { certDir, dir })) };
}
