/**
 * A small HTTP/1.1 server for the monitoring endpoint, written with the same care as the tunnel
 * port: it reads at most `maxRequestBytes` of request head within `headerTimeoutMs`, answers GET
 * and HEAD only, one request per connection (`Connection: close`), caps the connections served at
 * once, bounds the time a response may take to write, and turns anything malformed into a 4xx
 * answer instead of an exception. The accept loop survives accept errors (EMFILE), unlike
 * node:http in Deno (see RUNTIME.md).
 *
 * @module
 */

import { errorMessage } from "../base/error_message.ts";

/** A parsed request: only what the routes need. */
export interface MonitorRequest {
  readonly method: "GET" | "HEAD";
  /** The path without the query string, e.g. `/metrics`. */
  readonly path: string;
  /** The query string without `?`; empty when there is none. */
  readonly query: string;
}

export interface MonitorResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export type MonitorHandler = (
  request: MonitorRequest,
) => MonitorResponse | Promise<MonitorResponse>;

export interface MonitorHttpOptions {
  /** Bytes of request line and headers; beyond this, 431. @default 8192 */
  readonly maxRequestBytes?: number;
  /** Time from accept to the end of the headers; then 408. @default 5000 */
  readonly headerTimeoutMs?: number;
  /** Time a response may take to write before the connection is dropped. @default 10000 */
  readonly writeTimeoutMs?: number;
  /** Connections served at once; more are closed at once. @default 32 */
  readonly maxConnections?: number;
  /** Told about handler failures and accept errors (one line each). */
  readonly onError?: (message: string) => void;
}

/** The port could not be bound; `message` names the address and what to do. */
export class MonitorBindError extends Error {
  override name = "MonitorBindError";
}

const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

const HEAD_END = new Uint8Array([13, 10, 13, 10]);

/** Why a request cannot be answered by a route: the status and a one-line body. */
class RequestProblem extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class MonitorHttpServer implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #handler: MonitorHandler;
  readonly #maxRequestBytes: number;
  readonly #headerTimeoutMs: number;
  readonly #writeTimeoutMs: number;
  readonly #maxConnections: number;
  readonly #onError: (message: string) => void;
  readonly #connections = new Set<Deno.TcpConn>();
  readonly #served = new Set<Promise<void>>();
  #closed = false;
  #loop: Promise<void>;

  private constructor(
    listener: Deno.TcpListener,
    handler: MonitorHandler,
    options: MonitorHttpOptions,
  ) {
    this.#listener = listener;
    this.#handler = handler;
    this.#maxRequestBytes = options.maxRequestBytes ?? 8192;
    this.#headerTimeoutMs = options.headerTimeoutMs ?? 5000;
    this.#writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
    this.#maxConnections = options.maxConnections ?? 32;
    this.#onError = options.onError ?? (() => {});
    this.#loop = this.#acceptLoop();
  }

  /**
   * Binds `hostname:port` and starts serving.
   *
   * @throws {MonitorBindError} when the address cannot be bound, saying why in a few words.
   */
  static listen(
    endpoint: { readonly hostname: string; readonly port: number },
    handler: MonitorHandler,
    options: MonitorHttpOptions = {},
  ): MonitorHttpServer {
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: endpoint.hostname, port: endpoint.port });
    } catch (error) {
      const where = endpoint.hostname.includes(":")
        ? `[${endpoint.hostname}]:${endpoint.port}`
        : `${endpoint.hostname}:${endpoint.port}`;
      throw new MonitorBindError(`cannot listen on ${where}: ${bindReason(error)}`, {
        cause: error,
      });
    }
    return new MonitorHttpServer(listener, handler, options);
  }

  /** The bound port (for port 0 in tests). */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        // Out of descriptors, say: wait a little and accept again, never give up the port.
        this.#onError(`monitoring: accept failed: ${errorMessage(error)}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (this.#connections.size >= this.#maxConnections) {
        closeQuietly(conn);
        continue;
      }
      this.#connections.add(conn);
      const served = this.#serve(conn).finally(() => {
        this.#connections.delete(conn);
        this.#served.delete(served);
        closeQuietly(conn);
      });
      this.#served.add(served);
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    let response: MonitorResponse;
    let head = false;
    try {
      const request = await this.#readRequest(conn);
      head = request.method === "HEAD";
      response = await this.#respond(request);
    } catch (error) {
      if (!(error instanceof RequestProblem)) return; // the peer went away
      response = {
        ...text(error.status, `${error.message}\n`),
        ...(error.status === 405 ? { headers: { Allow: "GET, HEAD" } } : {}),
      };
    }
    await this.#write(conn, response, head);
  }

  async #respond(request: MonitorRequest): Promise<MonitorResponse> {
    try {
      return await this.#handler(request);
    } catch (error) {
      this.#onError(`monitoring: ${request.path} failed: ${errorMessage(error)}`);
      return text(500, "internal error; see the log\n");
    }
  }

  /** Reads up to the end of the headers, within the size and time bounds. */
  async #readRequest(conn: Deno.TcpConn): Promise<MonitorRequest> {
    const buffer = new Uint8Array(this.#maxRequestBytes);
    let length = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.#headerTimeoutMs);
    });
    try {
      while (true) {
        if (length === buffer.length) {
          throw new RequestProblem(431, `request head larger than ${buffer.length} bytes`);
        }
        const read = conn.read(buffer.subarray(length));
        const n = await Promise.race([read, timeout]);
        if (n === "timeout") {
          read.catch(() => {});
          throw new RequestProblem(408, "request head not complete in time");
        }
        if (n === null) throw new Error("closed before the request ended");
        const from = Math.max(0, length - 3);
        length += n;
        const end = indexOf(buffer.subarray(0, length), HEAD_END, from);
        if (end >= 0) return parseHead(buffer.subarray(0, end));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async #write(conn: Deno.TcpConn, response: MonitorResponse, head: boolean): Promise<void> {
    const body = typeof response.body === "string"
      ? new TextEncoder().encode(response.body)
      : response.body;
    const headers: Record<string, string> = {
      "Content-Type": response.contentType,
      "Content-Length": String(body.length),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "Connection": "close",
      ...response.headers,
    };
    const lines = [`HTTP/1.1 ${response.status} ${REASONS[response.status] ?? "Unknown"}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    const start = new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`);
    const bytes = new Uint8Array(start.length + (head ? 0 : body.length));
    bytes.set(start);
    if (!head) bytes.set(body, start.length);
    // A reader that stops reading loses its connection, not a slot for ever.
    const timer = setTimeout(() => closeQuietly(conn), this.#writeTimeoutMs);
    try {
      let written = 0;
      while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    } catch {
      // The peer went away or was too slow; nothing to tell it.
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops accepting, ends every open connection and waits for them. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#listener);
    for (const conn of this.#connections) closeQuietly(conn);
    await this.#loop;
    await Promise.allSettled([...this.#served]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // already closed
  }
}

function text(status: number, body: string): MonitorResponse {
  return { status, contentType: "text/plain; charset=utf-8", body };
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The request line and headers (without the blank line), checked. */
export function parseHead(bytes: Uint8Array): MonitorRequest {
  let head: string;
  try {
    head = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new RequestProblem(400, "request head is not UTF-8");
  }
  const [requestLine = "", ...headerLines] = head.split("\r\n");
  const parts = requestLine.split(" ");
  if (parts.length !== 3) throw new RequestProblem(400, "malformed request line");
  const [method, target, version] = parts as [string, string, string];
  if (!/^HTTP\/1\.[01]$/.test(version)) {
    throw new RequestProblem(
      /^HTTP\/\d/.test(version) ? 505 : 400,
      `unsupported protocol ${JSON.stringify(version.slice(0, 16))}`,
    );
  }
  for (const line of headerLines) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t -~\x80-\uffff]*$/.test(line)) {
      throw new RequestProblem(400, "malformed header line");
    }
  }
  if (method !== "GET" && method !== "HEAD") {
    throw new RequestProblem(405, "only GET and HEAD are served");
  }
  if (!target.startsWith("/")) throw new RequestProblem(400, "the target must be a path");
  const question = target.indexOf("?");
  return {
    method,
    path: question < 0 ? target : target.slice(0, question),
    query: question < 0 ? "" : target.slice(question + 1),
  };
}

function bindReason(error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) return "the port is in use by another program";
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return "the address is not one of this host's";
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  }
  return errorMessage(error);
}
