/**
 * The set-up load generator of `bench --fleet`: many concurrent connections to one server, each
 * a complete tunnel set-up (mutual-TLS handshake, our Hello, the server's Hello, our Close, the
 * server's end of the connection) or, for comparison, a bare TLS handshake and the server's end.
 * Every connection uses a client certificate no other open connection uses, and its certificate
 * is used again only once that connection has closed on both sides; it claims the tunnel address
 * that goes with its certificate.
 *
 * Run as a script in a lab namespace: `deno run -A setup_load.ts PLAN.json`; prints one JSON line
 * (a LoadReport). The pool logic, runLoad, is pure and takes the connection attempt as a function.
 *
 * @module
 */

import process from "node:process";
import { decodeFrameAt } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import {
  CloseCode,
  decodeClose,
  decodeHello,
  encodeClose,
  encodeHello,
  PROTOCOL_VERSION,
} from "../../src/frame/control.ts";
import { errorMessage } from "../../src/base/error_message.ts";
import { ALPN_PROTOCOL } from "../../src/transport/tls_options.ts";
import { percentile } from "./percentile.ts";

/** What one connection of the load is, and which certificate it presents. */
export interface LoadIdentity {
  readonly certFile: string;
  readonly keyFile: string;
  /** The tunnel address with prefix it claims in its Hello, e.g. 10.0.1.7/16. */
  readonly address: string;
  /** The server it connects to (one of a pool's). @default the plan's host */
  readonly host?: string;
}

/** A run of the load generator. */
export interface LoadPlan {
  /** "setup": handshake and Hello exchange; "tls": the handshake alone. */
  readonly mode: "setup" | "tls";
  readonly host: string;
  readonly port: number;
  readonly caFile: string;
  readonly identities: readonly LoadIdentity[];
  /** Connections in flight at once; at most the number of identities. */
  readonly concurrency: number;
  /** Connections before this long are not counted (the runtime compiles its hot paths). */
  readonly warmupMs: number;
  /** How long the counted part lasts. */
  readonly durationMs: number;
  /** One attempt longer than this fails. @default 10000 */
  readonly attemptTimeoutMs?: number;
}

/** What a run counted (connections that began during the warm-up are left out). */
export interface LoadResult {
  /** Connections completed in the counted part. */
  readonly completed: number;
  /** Connections completed over the whole run, warm-up included (for CPU per set-up). */
  readonly totalCompleted: number;
  readonly failed: number;
  /** Length of the counted part, seconds. */
  readonly seconds: number;
  /** Completed connections per second of the counted part. */
  readonly perSecond: number;
  /** Failure messages and how often each came; at most MAX_FAILURE_REASONS, then "other". */
  readonly failures: Readonly<Record<string, number>>;
  /** Duration of a completed connection, ms: median and 99th percentile. */
  readonly medianMs: number;
  readonly p99Ms: number;
}

/** The script's output: the counts and the generator's own CPU time. */
export interface LoadReport extends LoadResult {
  readonly mode: LoadPlan["mode"];
  readonly concurrency: number;
  readonly identities: number;
  /** CPU seconds (user + system) the generator used over the whole run. */
  readonly generatorCpuSeconds: number;
}

/** Distinct failure messages kept; the rest are counted as "other". */
export const MAX_FAILURE_REASONS = 20;
/** Completed connections whose duration is kept for the percentiles (the rest are not). */
export const MAX_DURATION_SAMPLES = 100_000;

/**
 * Runs `attempt` over and over, `concurrency` at once, for warmupMs + durationMs: each worker
 * takes the identity that has waited longest, runs one attempt with it, and puts it back only
 * when the attempt has ended, so no identity is ever in two attempts at once. Attempts started
 * in the counted window are counted, also when they end after it; the window's length is from its
 * start to the end of the last counted attempt.
 */
export async function runLoad<I>(
  identities: readonly I[],
  options: { concurrency: number; warmupMs: number; durationMs: number },
  attempt: (identity: I) => Promise<void>,
  now: () => number = () => performance.now(),
): Promise<LoadResult> {
  const { concurrency, warmupMs, durationMs } = options;
  if (!(concurrency >= 1 && concurrency <= identities.length)) {
    throw new RangeError(
      `Concurrency ${concurrency} needs as many identities, and there are ${identities.length}: ` +
        "issue more certificates or open fewer connections at once",
    );
  }
  // Free identities, oldest first: at most identities.length entries.
  const free = [...identities];
  const started = now();
  const countFrom = started + warmupMs;
  const stopAt = countFrom + durationMs;
  let completed = 0;
  let totalCompleted = 0;
  let failed = 0;
  let lastEnd = countFrom;
  const failures = new Map<string, number>();
  const durations: number[] = [];
  const worker = async () => {
    while (now() < stopAt) {
      const identity = free.shift()!;
      const begin = now();
      let failure: string | undefined;
      try {
        await attempt(identity);
      } catch (error) {
        failure = errorMessage(error).split("\n")[0]!.slice(0, 200);
      }
      free.push(identity);
      const end = now();
      if (failure === undefined) totalCompleted++;
      if (begin < countFrom) continue;
      lastEnd = Math.max(lastEnd, end);
      if (failure === undefined) {
        completed++;
        if (durations.length < MAX_DURATION_SAMPLES) durations.push(end - begin);
      } else {
        failed++;
        const key = failures.has(failure) || failures.size < MAX_FAILURE_REASONS
          ? failure
          : "other";
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Math.max(lastEnd - countFrom, durationMs) / 1000;
  return {
    completed,
    totalCompleted,
    failed,
    seconds,
    perSecond: completed / seconds,
    failures: Object.fromEntries(failures),
    medianMs: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
  };
}

/** Bytes kept while waiting for the server's first frame: a Hello or Close is at most 4100. */
const FIRST_FRAME_LIMIT = 8192;

/** The certificate set of one identity, read once. */
interface LoadedIdentity {
  readonly cert: string;
  readonly key: string;
  readonly address: string;
  readonly host: string;
}

/**
 * What the server's first frame says: nothing yet (undefined), or its Hello (true); a Close or
 * anything else is thrown as the reason.
 */
export function firstFrameVerdict(bytes: Uint8Array): true | undefined {
  const frame = decodeFrameAt(bytes, 0);
  if (!frame) {
    if (bytes.length >= FIRST_FRAME_LIMIT) throw new Error("the server's first frame is too long");
    return undefined;
  }
  if (frame.type === FrameType.Hello) {
    decodeHello(frame.payload);
    return true;
  }
  if (frame.type === FrameType.Close) {
    const reason = decodeClose(frame.payload);
    throw new Error(`refused with Close(${reason.code}): ${reason.message}`);
  }
  throw new Error(`the server's first frame is of type ${frame.type}, not Hello`);
}

/** Writes all of `bytes`. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
}

/**
 * Reads until the server ends the connection. Before the Hello (setup mode) the bytes go to
 * firstFrameVerdict until it has the server's Hello, and then our Close is sent; in tls mode any
 * byte at all is a failure (the bare-TLS listener sends nothing to a client it accepts and a
 * Close to one it refuses).
 */
async function readToEnd(
  conn: Deno.TlsConn,
  mode: LoadPlan["mode"],
  afterHello: () => Promise<void>,
): Promise<void> {
  const buffer = new Uint8Array(FIRST_FRAME_LIMIT);
  let filled = 0;
  let helloSeen = false;
  while (true) {
    const read = await conn.read(helloSeen ? buffer : buffer.subarray(filled));
    if (read === null) break;
    if (helloSeen) continue; // anything after the Hello is discarded
    if (mode === "tls") throw new Error("the bare-TLS listener sent data: it refused us");
    filled += read;
    if (firstFrameVerdict(buffer.subarray(0, filled))) {
      helloSeen = true;
      await afterHello();
    }
  }
  if (mode === "setup" && !helloSeen) {
    throw new Error("the server ended the connection before its Hello");
  }
}

/**
 * One connection of the plan's mode with one identity, within the attempt timeout; resolves once
 * the server has ended the connection (so it has let go of the session).
 *
 * Deno.connectTls (rustls) rather than node:tls: it costs the generator about half the CPU per
 * handshake (measured 1.1 against 2.3 ms), which on a small machine leaves the server more of it.
 * It leaves Nagle's algorithm on during the handshake, though, so its second handshake record
 * waits for the server's delayed ACK, about 40 ms (48 ms a handshake alone, against 2 ms with
 * TCP_NODELAY; Deno.startTls, which would allow setting that first, sends no client
 * certificate). That wait adds to each connection's duration, not to anyone's CPU: with enough
 * connections in flight it does not limit the rate.
 */
async function connectOnce(plan: LoadPlan, ca: string, identity: LoadedIdentity): Promise<void> {
  const timeoutMs = plan.attemptTimeoutMs ?? 10_000;
  let conn: Deno.TlsConn | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const work = (async () => {
    conn = await Deno.connectTls({
      hostname: identity.host,
      port: plan.port,
      caCerts: [ca],
      alpnProtocols: [ALPN_PROTOCOL],
      cert: identity.cert,
      key: identity.key,
    });
    await conn.handshake();
    if (plan.mode === "setup") {
      await writeAll(
        conn,
        encodeHello({
          protocol: PROTOCOL_VERSION,
          software: "sssonector-bench/setup-load",
          address: identity.address,
          mtu: 1500,
          features: [],
        }),
      );
    }
    await readToEnd(conn, plan.mode, async () => {
      await writeAll(conn!, encodeClose({ code: CloseCode.Shutdown, message: "set-up measured" }));
    });
  })();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no complete set-up in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // closed already
    }
    work.catch(() => {});
  }
}

/** Reads the plan's files and runs it; the report includes the generator's CPU time. */
export async function runPlan(plan: LoadPlan): Promise<LoadReport> {
  const ca = await Deno.readTextFile(plan.caFile);
  const identities: LoadedIdentity[] = await Promise.all(plan.identities.map(async (id) => ({
    cert: await Deno.readTextFile(id.certFile),
    key: await Deno.readTextFile(id.keyFile),
    address: id.address,
    host: id.host ?? plan.host,
  })));
  const cpuBefore = process.cpuUsage();
  const result = await runLoad(identities, plan, (identity) => connectOnce(plan, ca, identity));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    mode: plan.mode,
    concurrency: plan.concurrency,
    identities: identities.length,
    ...result,
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

if (import.meta.main) {
  const [planFile] = Deno.args;
  if (!planFile) {
    console.error("usage: setup_load.ts PLAN.json");
    Deno.exit(2);
  }
  const plan = JSON.parse(await Deno.readTextFile(planFile)) as LoadPlan;
  console.log(JSON.stringify(await runPlan(plan)));
}
