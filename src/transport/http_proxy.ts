/**
 * Reaching the server through an HTTP proxy with CONNECT, as OpenVPN's --http-proxy does: a TCP
 * connection to the proxy, one CONNECT request (with Basic credentials when configured), and,
 * once the proxy answers 2xx, TLS to the server over that connection. A refusal (407, 403, any
 * other status) or silence becomes one line that says what the proxy said and what to do.
 */
import net from "node:net";
import type { Endpoint, ProxyConfig } from "../config/types.ts";
import { formatRemote } from "./secure_stream.ts";

export type { ProxyConfig };

/** Longest response head read from a proxy. */
const MAX_RESPONSE_HEAD = 16 * 1024;

/** The proxy refused or failed; the message is one line for the operator. */
export class ProxyError extends Error {
  override name = "ProxyError";
}

/** The proxy's host and port from `http://HOST:PORT` (port 8080 when absent). */
export function proxyEndpoint(url: string): Endpoint {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:") {
    throw new TypeError(`Proxy URL must start with http://: "${url}"`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  return { host, port: parsed.port ? Number(parsed.port) : 8080 };
}

/** Whether `host` is one no_proxy names (exact, `*.suffix` or `.suffix`; `*` is every host). */
export function bypassesProxy(host: string, noProxy: readonly string[]): boolean {
  const name = host.toLowerCase();
  return noProxy.some((entry) => {
    const rule = entry.trim().toLowerCase();
    if (rule === "*") return true;
    if (rule.startsWith("*.")) return name.endsWith(rule.slice(1));
    if (rule.startsWith(".")) return name.endsWith(rule) || name === rule.slice(1);
    return name === rule;
  });
}

/** Basic credentials for the proxy. */
export interface ProxyCredentials {
  readonly user: string;
  readonly password: string;
}

/**
 * Reads the credentials file (user on line 1, password on line 2). Called at start, while the
 * process may still read a file only root may read.
 */
export function readProxyCredentials(path: string): ProxyCredentials {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new ProxyError(
      `cannot read proxy.credentials_file ${path}: ${(error as Error).message.split(":")[0]}`,
    );
  }
  const [user = "", password = ""] = text.split(/\r?\n/);
  if (!user || user.includes(":")) {
    throw new ProxyError(
      `proxy.credentials_file ${path} must hold the user name (without ":") on its first line ` +
        "and the password on its second",
    );
  }
  return { user, password };
}

/** A client's proxy: where it is, whom it bypasses, and its credentials (read once, at start). */
export class HttpProxy {
  readonly config: ProxyConfig;
  readonly #credentials: ProxyCredentials | undefined;

  private constructor(config: ProxyConfig, credentials: ProxyCredentials | undefined) {
    this.config = config;
    this.#credentials = credentials;
  }

  /** @throws {ProxyError} when the credentials file cannot be read or is malformed. */
  static load(config: ProxyConfig): HttpProxy {
    return new HttpProxy(
      config,
      config.credentialsFile ? readProxyCredentials(config.credentialsFile) : undefined,
    );
  }

  /** Whether `host` is reached directly (no_proxy). */
  bypasses(host: string): boolean {
    return bypassesProxy(host, this.config.noProxy);
  }

  /** A connection through the proxy to `target`, ready for TLS (see openProxyTunnel). */
  open(target: Endpoint, options: ProxyTunnelOptions): Promise<net.Socket> {
    return openProxyTunnel(this.config, target, { ...options, credentials: this.#credentials });
  }
}

/** The CONNECT request for `target`. */
export function connectRequest(
  target: Endpoint,
  credentials?: { user: string; password: string },
): string {
  const authority = formatRemote(target.host, target.port);
  const auth = credentials
    ? `Proxy-Authorization: Basic ${btoa(`${credentials.user}:${credentials.password}`)}\r\n`
    : "";
  return `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`;
}

/** The status line of a response head: code and reason; undefined when it is not HTTP. */
export function parseStatusLine(head: string): { code: number; reason: string } | undefined {
  const match = /^HTTP\/1\.[01] (\d{3})(?: ([^\r\n]*))?\r?\n/.exec(head);
  return match ? { code: Number(match[1]), reason: (match[2] ?? "").trim() } : undefined;
}

/** The line for a proxy's refusal. */
export function refusalLine(
  proxy: string,
  target: Endpoint,
  status: { code: number; reason: string },
  credentialsFile: string | undefined,
): string {
  const said = `${status.code}${status.reason ? ` ${status.reason}` : ""}`;
  const to = formatRemote(target.host, target.port);
  // 407 is the standard answer; some proxies (tinyproxy) answer CONNECT with 401.
  if (status.code === 407 || status.code === 401) {
    return credentialsFile
      ? `the proxy ${proxy} refused the credentials in ${credentialsFile} (${said}); check them`
      : `the proxy ${proxy} requires credentials (${said}); set proxy.credentials_file`;
  }
  if (status.code === 403) {
    return `the proxy ${proxy} does not allow CONNECT to ${to} (${said}); proxies often allow ` +
      "it only to port 443: ask its administrator, or run the server on 443";
  }
  return `the proxy ${proxy} refused CONNECT to ${to} (${said})`;
}

export interface ProxyTunnelOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Sent as Basic Proxy-Authorization. */
  readonly credentials?: ProxyCredentials | undefined;
}

/**
 * Opens a connection through the proxy to `target` and returns the socket once the proxy has
 * said 2xx, ready for TLS. Throws ProxyError with one line otherwise.
 */
export async function openProxyTunnel(
  config: ProxyConfig,
  target: Endpoint,
  options: ProxyTunnelOptions,
): Promise<net.Socket> {
  const proxy = proxyEndpoint(config.url);
  const where = formatRemote(proxy.host, proxy.port);
  const credentials = options.credentials;
  return await new Promise((resolve, reject) => {
    const socket = net.connect({ host: proxy.host, port: proxy.port });
    let head = "";
    const fail = (line: string) => {
      finish();
      socket.destroy();
      reject(new ProxyError(line));
    };
    const onAbort = () => fail(`connecting through the proxy ${where} was abandoned`);
    const timer = setTimeout(
      () => fail(`the proxy ${where} did not answer within ${options.timeoutMs} ms`),
      options.timeoutMs,
    );
    const finish = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("end", onEnd);
    };
    const onError = (error: Error) => fail(`cannot reach the proxy ${where}: ${error.message}`);
    const onEnd = () => fail(`the proxy ${where} closed the connection without an answer`);
    const onData = (chunk: Uint8Array) => {
      head += new TextDecoder().decode(chunk);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > MAX_RESPONSE_HEAD) fail(`the proxy ${where} sent an overlong answer`);
        return;
      }
      const status = parseStatusLine(head);
      if (!status) return fail(`the proxy ${where} did not answer in HTTP`);
      if (status.code < 200 || status.code > 299) {
        return fail(refusalLine(where, target, status, config.credentialsFile));
      }
      if (end + 4 < head.length) {
        // A server speaks only after our ClientHello: bytes here are the proxy's, not TLS.
        return fail(`the proxy ${where} sent data after its answer to CONNECT`);
      }
      finish();
      resolve(socket);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    socket.on("data", onData);
    socket.once("error", onError);
    socket.once("end", onEnd);
    socket.once("connect", () => socket.write(connectRequest(target, credentials)));
  });
}
