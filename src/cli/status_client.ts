/**
 * `sssonector status` reads the running process through its monitoring endpoint: the same
 * `/status.json` the status page polls, from `monitoring.address:monitoring.port` of the
 * configuration file. Why the endpoint and not a unix socket of its own: it exists already (one
 * source for the page, the command and scripts), it keeps working after the process has become
 * `nobody` (a socket under /run would have to be created before the drop and owned by root to be
 * root-only), and it adds no second listener to bound. What it costs: `status` needs
 * `monitoring.enabled: true`, and says so in one line when it is off.
 *
 * A small HTTP/1.0-style client over `Deno.connect`, so that "nothing listens" and "too slow"
 * are told apart by their error types, and the answer read is bounded.
 *
 * @module
 */

import type { MonitoringConfig } from "../config/types.ts";
import type { StatusReport } from "../monitor/status.ts";
import { errorMessage } from "../base/error_message.ts";

/** Bytes of answer read at most: 10,000 sessions of about 400 bytes of JSON each fit. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export type StatusResult =
  | { readonly ok: true; readonly report: StatusReport; readonly json: string }
  | { readonly ok: false; readonly message: string };

/** Where the process's monitor answers on this host: a wildcard address is reached on loopback. */
export function monitorEndpoint(
  monitoring: Pick<MonitoringConfig, "address" | "port">,
): { hostname: string; port: number; label: string } {
  const hostname = monitoring.address === "0.0.0.0"
    ? "127.0.0.1"
    : monitoring.address === "::"
    ? "::1"
    : monitoring.address;
  const label = hostname.includes(":")
    ? `[${hostname}]:${monitoring.port}`
    : `${hostname}:${monitoring.port}`;
  return { hostname, port: monitoring.port, label };
}

/**
 * Asks the process that runs `sourcePath` for its status.
 *
 * @returns the report, or one line saying why there is none (monitoring off, nothing running,
 * something else on the port).
 */
export async function readStatus(
  config: {
    readonly sourcePath: string;
    readonly mode: "server" | "client";
    readonly monitoring: Pick<MonitoringConfig, "enabled" | "address" | "port">;
  },
  options: { readonly timeoutMs?: number } = {},
): Promise<StatusResult> {
  const file = config.sourcePath;
  if (!config.monitoring.enabled) {
    return {
      ok: false,
      message: `${file}: monitoring is disabled (monitoring.enabled: false), and status reads ` +
        "the running process through it: set monitoring.enabled: true and restart the tunnel",
    };
  }
  const endpoint = monitorEndpoint(config.monitoring);
  const timeoutMs = options.timeoutMs ?? 5000;
  let answer: { status: number; body: string };
  try {
    answer = await httpGet(endpoint, "/status.json", timeoutMs);
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) {
      return {
        ok: false,
        message: `no sssonector is running for ${file}: nothing answers on ${endpoint.label} ` +
          "(its monitoring.address and port)",
      };
    }
    if (error instanceof Deno.errors.TimedOut) {
      return {
        ok: false,
        message: `${endpoint.label} (monitoring of ${file}) did not answer within ` +
          `${timeoutMs / 1000} s`,
      };
    }
    return {
      ok: false,
      message: `cannot reach ${endpoint.label} (monitoring of ${file}): ${errorMessage(error)}`,
    };
  }
  const report = parseReport(answer);
  if (report === undefined) {
    return {
      ok: false,
      message: `${endpoint.label} answers, but not as sssonector's monitor (HTTP ` +
        `${answer.status}): another program has the port in ${file}'s monitoring.port`,
    };
  }
  if (report.mode !== config.mode) {
    return {
      ok: false,
      message: `${endpoint.label} is a sssonector ${report.mode}, but ${file} is a ` +
        `${config.mode}'s file: another configuration uses the same monitoring.port`,
    };
  }
  return { ok: true, report, json: answer.body };
}

function parseReport(answer: { status: number; body: string }): StatusReport | undefined {
  if (answer.status !== 200) return undefined;
  try {
    const value = JSON.parse(answer.body) as Partial<StatusReport>;
    const looksRight = (value.mode === "server" || value.mode === "client") &&
      Array.isArray(value.sessions) && typeof value.certificate === "object";
    return looksRight ? value as StatusReport : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET `path` from `endpoint` with `Connection: close`, reading to the end within `timeoutMs`.
 *
 * @throws {Deno.errors.ConnectionRefused} when nothing listens;
 * {@linkcode Deno.errors.TimedOut} when the answer takes longer.
 */
async function httpGet(
  endpoint: { hostname: string; port: number },
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let conn: Deno.TcpConn | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        conn?.close();
      } catch { /* closed already */ }
      reject(new Deno.errors.TimedOut(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const exchange = (async () => {
    conn = await Deno.connect({ hostname: endpoint.hostname, port: endpoint.port });
    const host = endpoint.hostname.includes(":") ? `[${endpoint.hostname}]` : endpoint.hostname;
    const request = `GET ${path} HTTP/1.1\r\nHost: ${host}:${endpoint.port}\r\n` +
      "Accept: application/json\r\nConnection: close\r\n\r\n";
    await conn.write(new TextEncoder().encode(request));
    const chunks: Uint8Array[] = [];
    let length = 0;
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      length += n;
      if (length > MAX_ANSWER_BYTES) {
        throw new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`);
      }
      chunks.push(buffer.slice(0, n));
    }
    conn.close();
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    const text = new TextDecoder().decode(bytes);
    const headEnd = text.indexOf("\r\n\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? NaN);
    return { status, body: headEnd < 0 ? "" : text.slice(headEnd + 4) };
  })();
  exchange.catch(() => {});
  try {
    return await Promise.race([exchange, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
