/**
 * The session load generator of `bench --sessions` (tools/bench/sessions_bench.ts): many idle
 * tunnel sessions held open from one process, each a real client as far as the server can tell:
 * mutual TLS with its own certificate (tools/bench/session_certs.ts), from its own source address
 * (node:tls with `localAddress`: Deno.connectTls cannot bind one), our Hello claiming its own
 * tunnel address, then keepalive both ways: every server Ping answered with a Pong, and a Ping of
 * ours every `pingIntervalMs`, whose Pong gives the keepalive round trip.
 *
 * Run in the generator's namespace: `deno run -A session_hold.ts PLAN.json`, then one command a
 * line on standard input, each answered by one JSON line on standard output (a HoldReply):
 *
 * - `open N`: opens sessions, `concurrency` set-ups at once, until N are up;
 * - `probe`: opens one more session alone and times it (admission at the current load);
 * - `rtt`: the keepalive round trips since the last `rtt`, and how many sessions the server
 *   ended so far;
 * - `quit`: closes every session and exits.
 *
 * @module
 */

import tls from "node:tls";
import { decodeFrameAt } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import {
  decodeClose,
  decodeHello,
  decodePingToken,
  encodeHello,
  encodePing,
  PROTOCOL_VERSION,
} from "../../src/frame/control.ts";
import { errorMessage } from "../../src/base/error_message.ts";
import { ALPN_PROTOCOL } from "../../src/transport/tls_options.ts";
import { percentile } from "./percentile.ts";

/** What the generator is given. */
export interface HoldPlan {
  readonly host: string;
  readonly port: number;
  readonly caFile: string;
  /** The key every certificate is for (PKCS#8 PEM file). */
  readonly keyFile: string;
  /** A JSON array of PEM certificates, one per session, in the order of `addresses`. */
  readonly certsFile: string;
  /** The tunnel address with prefix each session claims, e.g. 10.100.3.7/16. */
  readonly addresses: readonly string[];
  /** Source addresses, used in turn (session i binds sources[i % length]). */
  readonly sources: readonly string[];
  /** Set-ups in flight at once while opening. */
  readonly concurrency: number;
  /** Each session sends a Ping this often. */
  readonly pingIntervalMs: number;
  /** @default 15000 */
  readonly attemptTimeoutMs?: number;
}

/** One line of output. */
export type HoldReply =
  | {
    readonly kind: "open";
    readonly open: number;
    readonly opened: number;
    readonly failed: number;
    readonly seconds: number;
    readonly perSecond: number;
    readonly setupMedianMs: number;
    readonly setupP99Ms: number;
    readonly failures: Readonly<Record<string, number>>;
  }
  | { readonly kind: "probe"; readonly ok: boolean; readonly ms: number; readonly error?: string }
  | {
    readonly kind: "rtt";
    readonly open: number;
    readonly samples: number;
    readonly medianMs: number;
    readonly p99Ms: number;
    readonly lost: number;
    readonly lostReasons: Readonly<Record<string, number>>;
  }
  | { readonly kind: "error"; readonly message: string };

/** Keepalive round trips kept between two `rtt` commands. */
const MAX_RTT_SAMPLES = 200_000;
/** Distinct failure and close reasons kept; the rest count as "other". */
const MAX_REASONS = 20;
/** A session's unparsed bytes: a control frame is at most 4100, data frames are not expected. */
const MAX_PENDING_BYTES = 70_000;

function countReason(reasons: Map<string, number>, reason: string): void {
  const key = reasons.has(reason) || reasons.size < MAX_REASONS ? reason : "other";
  reasons.set(key, (reasons.get(key) ?? 0) + 1);
}

interface Held {
  socket: tls.TLSSocket;
  up: boolean;
}

class Generator {
  readonly #plan: HoldPlan;
  readonly #ca: string;
  readonly #key: string;
  readonly #certs: readonly string[];
  /** Sessions that are up, in the order they came up. */
  readonly #sessions: Held[] = [];
  #next = 0;
  /** Identities whose set-up failed: used again before new ones (no session holds them). */
  readonly #retry: number[] = [];
  #rtts: number[] = [];
  #lost = 0;
  readonly #lostReasons = new Map<string, number>();
  #pingCursor = 0;
  #pingCarry = 0;

  constructor(plan: HoldPlan, ca: string, key: string, certs: readonly string[]) {
    this.#plan = plan;
    this.#ca = ca;
    this.#key = key;
    this.#certs = certs;
    const tickMs = 50;
    // Each tick pings its share of the sessions, in turn: every one once per interval.
    setInterval(() => this.#pingTick(tickMs), tickMs);
  }

  get open(): number {
    return this.#sessions.length;
  }

  #pingTick(tickMs: number): void {
    const sessions = this.#sessions;
    if (sessions.length === 0) return;
    this.#pingCarry += sessions.length * tickMs / this.#plan.pingIntervalMs;
    const now = performance.now();
    for (; this.#pingCarry >= 1; this.#pingCarry--) {
      this.#pingCursor = (this.#pingCursor + 1) % sessions.length;
      const held = sessions[this.#pingCursor]!;
      if (held.up) held.socket.write(encodePing(FrameType.Ping, BigInt(Math.round(now * 1000))));
    }
  }

  /** Opens the next identity's session; resolves once the server's Hello has come. */
  connect(): Promise<void> {
    const index = this.#retry.shift() ?? this.#next++;
    const cert = this.#certs[index];
    const address = this.#plan.addresses[index];
    if (cert === undefined || address === undefined) {
      return Promise.reject(new Error(`no identity left (${this.#certs.length} issued)`));
    }
    const source = this.#plan.sources[index % this.#plan.sources.length];
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: this.#plan.host,
        port: this.#plan.port,
        ...(source ? { localAddress: source } : {}),
        ca: this.#ca,
        cert,
        key: this.#key,
        ALPNProtocols: [ALPN_PROTOCOL],
        // The chain is verified against the lab CA; the name is the lab's, not the host's.
        checkServerIdentity: () => undefined,
      });
      const held: Held = { socket, up: false };
      let pending: Uint8Array | undefined;
      let failed = false;
      const timer = setTimeout(() => {
        fail(new Error(`no server Hello in ${this.#plan.attemptTimeoutMs ?? 15_000} ms`));
      }, this.#plan.attemptTimeoutMs ?? 15_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        if (held.up) return;
        socket.destroy();
        if (!failed) this.#retry.push(index);
        failed = true;
        reject(error);
      };
      const ended = (reason: string) => {
        if (!held.up) return fail(new Error(reason));
        held.up = false;
        const at = this.#sessions.indexOf(held);
        if (at >= 0) this.#sessions.splice(at, 1);
        this.#lost++;
        countReason(this.#lostReasons, reason);
        socket.destroy();
      };
      socket.on("secureConnect", () => {
        socket.setNoDelay(true);
        socket.write(encodeHello({
          protocol: PROTOCOL_VERSION,
          software: "sssonector-bench/session-hold",
          address,
          mtu: 1500,
          features: [],
        }));
      });
      socket.on("data", (chunk: Uint8Array) => {
        let bytes = chunk;
        if (pending) {
          bytes = new Uint8Array(pending.length + chunk.length);
          bytes.set(pending);
          bytes.set(chunk, pending.length);
          pending = undefined;
        }
        let offset = 0;
        try {
          for (;;) {
            const frame = decodeFrameAt(bytes, offset);
            if (!frame) break;
            offset += 4 + frame.payload.length;
            switch (frame.type) {
              case FrameType.Hello:
                decodeHello(frame.payload);
                held.up = true;
                clearTimeout(timer);
                this.#sessions.push(held);
                resolve();
                break;
              case FrameType.Ping:
                socket.write(encodePing(FrameType.Pong, decodePingToken(frame.payload)));
                break;
              case FrameType.Pong: {
                const sentUs = Number(decodePingToken(frame.payload));
                if (this.#rtts.length < MAX_RTT_SAMPLES) {
                  this.#rtts.push(performance.now() - sentUs / 1000);
                }
                break;
              }
              case FrameType.Close: {
                const reason = decodeClose(frame.payload);
                return ended(`Close(${reason.code}): ${reason.message}`.slice(0, 160));
              }
              default:
                break; // a data frame: nothing is routed to us, and nothing is answered
            }
          }
        } catch (error) {
          return ended(`bad frame: ${errorMessage(error)}`);
        }
        if (offset < bytes.length) {
          if (bytes.length - offset > MAX_PENDING_BYTES) return ended("frame too long");
          pending = bytes.slice(offset);
        }
      });
      socket.on("error", (error) => ended(errorMessage(error).split("\n")[0]!.slice(0, 160)));
      socket.on("close", () => ended("the server closed the connection"));
    });
  }

  /** Opens sessions until `target` are up; set-up rate and times over this call. */
  async openTo(target: number): Promise<HoldReply> {
    const started = performance.now();
    const durations: number[] = [];
    const failures = new Map<string, number>();
    let opened = 0;
    let failed = 0;
    let inFlight = 0;
    const worker = async () => {
      // Failures do not count towards the target; more than the target's worth stops it.
      while (this.open + inFlight < target && failed <= target) {
        inFlight++;
        const begin = performance.now();
        try {
          await this.connect();
          opened++;
          durations.push(performance.now() - begin);
        } catch (error) {
          failed++;
          countReason(failures, errorMessage(error).split("\n")[0]!.slice(0, 160));
        } finally {
          inFlight--;
        }
      }
    };
    await Promise.all(Array.from({ length: this.#plan.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    return {
      kind: "open",
      open: this.open,
      opened,
      failed,
      seconds,
      perSecond: seconds > 0 ? opened / seconds : 0,
      setupMedianMs: percentile(durations, 50),
      setupP99Ms: percentile(durations, 99),
      failures: Object.fromEntries(failures),
    };
  }

  async probe(): Promise<HoldReply> {
    const begin = performance.now();
    try {
      await this.connect();
      return { kind: "probe", ok: true, ms: performance.now() - begin };
    } catch (error) {
      return {
        kind: "probe",
        ok: false,
        ms: performance.now() - begin,
        error: errorMessage(error),
      };
    }
  }

  rtt(): HoldReply {
    const samples = this.#rtts;
    this.#rtts = [];
    return {
      kind: "rtt",
      open: this.open,
      samples: samples.length,
      medianMs: percentile(samples, 50),
      p99Ms: percentile(samples, 99),
      lost: this.#lost,
      lostReasons: Object.fromEntries(this.#lostReasons),
    };
  }
}

/** Standard input, line by line. */
async function* stdinLines(): AsyncGenerator<string> {
  let text = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    let end: number;
    while ((end = text.indexOf("\n")) >= 0) {
      yield text.slice(0, end);
      text = text.slice(end + 1);
    }
  }
}

async function main(planFile: string): Promise<void> {
  const plan = JSON.parse(await Deno.readTextFile(planFile)) as HoldPlan;
  const generator = new Generator(
    plan,
    await Deno.readTextFile(plan.caFile),
    await Deno.readTextFile(plan.keyFile),
    JSON.parse(await Deno.readTextFile(plan.certsFile)) as string[],
  );
  const reply = (value: HoldReply) => console.log(JSON.stringify(value));
  for await (const line of stdinLines()) {
    const [command, argument] = line.trim().split(/\s+/);
    if (command === "open") reply(await generator.openTo(Number(argument)));
    else if (command === "probe") reply(await generator.probe());
    else if (command === "rtt") reply(generator.rtt());
    else if (command === "quit") break;
    else reply({ kind: "error", message: `unknown command: "${line}"` });
  }
  Deno.exit(0);
}

if (import.meta.main) {
  const [planFile] = Deno.args;
  if (!planFile) {
    console.error("usage: session_hold.ts PLAN.json (then commands on standard input)");
    Deno.exit(2);
  }
  await main(planFile);
}
