/**
 * A small HTTP/1.1 server for the monitoring endpoint, written with the same care as the tunnel
 * port: it reads at most `maxRequestBytes` of request head within `headerTimeoutMs`, answers GET
 * and HEAD only, one request per connection (`Connection: close`), caps the connections served at
 * once (and per source), bounds the time a response may take to write, and turns anything
 * malformed into a 4xx answer instead of an exception.
 *
 * Slow or silent connections cannot starve a real request (the cron health check): a connection
 * that finds the places taken is read on probation (a bounded number at once, for a short time);
 * if its whole request head arrives by then, it takes the place of the oldest connection still
 * sending its head, which is closed. curl sends its head at once; a slowloris never does. The accept loop survives accept errors (EMFILE), unlike
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
  /** Connections served at once; more are read on probation (see the module doc). @default 32 */
  readonly maxConnections?: number;
  /** Places of maxConnections one source address may hold. @default maxConnections / 2 */
  readonly maxConnectionsPerSource?: number;
  /** Connections on probation at once; more are closed at once. @default 4 * maxConnections */
  readonly maxProbation?: number;
  /** Time a connection on probation has to send its whole request head. @default 250 */
  readonly probationMs?: number;
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
  readonly #maxPerSource: number;
  readonly #maxProbation: number;
  readonly #probationMs: number;
  readonly #onError: (message: string) => void;
  /** Every open connection, oldest first: its source, its kind of place, whether its head is due. */
  readonly #connections = new Map<Deno.TcpConn, Place>();
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
    this.#maxPerSource = options.maxConnectionsPerSource ??
      Math.max(1, Math.floor(this.#maxConnections / 2));
    this.#maxProbation = options.maxProbation ?? 4 * this.#maxConnections;
    this.#probationMs = options.probationMs ?? 250;
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
      const place = this.#placeFor((conn.remoteAddr as Deno.NetAddr).hostname);
      if (place === undefined) {
        closeQuietly(conn);
        continue;
      }
      this.#connections.set(conn, place);
      const served = this.#serve(conn).finally(() => {
        this.#connections.delete(conn);
        this.#served.delete(served);
        closeQuietly(conn);
      });
      this.#served.add(served);
    }
  }

  /** A place for a new connection from `source`: a served one, probation, or none. */
  #placeFor(source: string): Place | undefined {
    let served = 0;
    let fromSource = 0;
    for (const place of this.#connections.values()) {
      if (place.probation) continue;
      served++;
      if (place.source === source) fromSource++;
    }
    if (served < this.#maxConnections && fromSource < this.#maxPerSource) {
      return { source, probation: false, reading: true };
    }
    if (this.#connections.size - served < this.#maxProbation) {
      return { source, probation: true, reading: true };
    }
    return undefined;
  }

  /**
   * A connection on probation sent its head: it takes the place of the oldest served connection
   * still sending its head (of its own source first), which is closed. False when there is none.
   */
  #promote(place: Place): boolean {
    let victim: Deno.TcpConn | undefined;
    for (const [conn, other] of this.#connections) {
      if (other.probation || !other.reading) continue;
      if (other.source === place.source) {
        victim = conn;
        break;
      }
      victim ??= conn;
    }
    if (victim === undefined) return false;
    this.#connections.delete(victim);
    closeQuietly(victim);
    place.probation = false;
    return true;
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    let response: MonitorResponse;
    let head = false;
    const place = this.#connections.get(conn);
    try {
      const request = await this.#readRequest(conn, place?.probation === true);
      if (place?.probation && !this.#promote(place)) {
        throw new RequestProblem(503, "busy: every place is answering a request");
      }
      if (place) place.reading = false;
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
  async #readRequest(conn: Deno.TcpConn, probation: boolean): Promise<MonitorRequest> {
    const buffer = new Uint8Array(this.#maxRequestBytes);
    let length = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(
        () => resolve("timeout"),
        probation ? this.#probationMs : this.#headerTimeoutMs,
      );
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
          // On probation: closed without a word, its place was never given.
          if (probation) throw new Error("no request head on probation");
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
    for (const conn of this.#connections.keys()) closeQuietly(conn);
    await this.#loop;
    await Promise.allSettled([...this.#served]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** What a connection holds. */
interface Place {
  readonly source: string;
  /** Read on probation, not yet holding one of maxConnections. */
  probation: boolean;
  /** Its request head has not been read yet. */
  reading: boolean;
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
