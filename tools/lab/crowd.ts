/**
 * A crowd at the server's door, and a newcomer trying to get in through it: run as its own process
 * inside a lab namespace (`deno run -A tools/lab/crowd.ts MODE ...`). Every mode is bounded in time
 * and rate, targets only the lab address it is given, and prints one JSON line at the end.
 *
 *   crowd HOST PORT KIND SOURCES PER_SOURCE DURATION_MS MAX_RATE
 *     from each address of SOURCES (comma-separated, each already on this host's interface) holds
 *     PER_SOURCE connections, each reopened as soon as the server closes it, at most MAX_RATE
 *     connects a second in all. KIND: idle (sends nothing), half (half a ClientHello), nocert (a
 *     full TLS handshake without a certificate, then nothing). Reports connects and closes.
 *   newcomer HOST PORT CERT_DIR NAME ADDRESS TRIES EVERY_MS LIMIT_MS [FROM]
 *     TRIES times, EVERY_MS apart: connects (from local address FROM, when given) with NAME's
 *     certificate, sends a Hello claiming ADDRESS and waits for the server's Hello (the session is
 *     open), at most LIMIT_MS; then closes. Reports each try's time to session in ms (null: no
 *     session within LIMIT_MS) and the errors seen.
 */
import net from "node:net";
import tls from "node:tls";
import { FrameType } from "../../src/frame/constants.ts";
import { ALPN_PROTOCOL } from "../../src/transport/tls_options.ts";
import { HALF_CLIENT_HELLO, labHello, labTlsOptions } from "./lab_client_tls.ts";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Spaces connects at most `rate` a second over all callers. */
class Pacer {
  #next = performance.now();
  #gap: number;
  constructor(rate: number) {
    this.#gap = 1000 / rate;
  }
  async turn(): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.#next);
    this.#next = at + this.#gap;
    if (at > now) await delay(at - now);
  }
}

type Kind = "idle" | "half" | "nocert";

/** One connection of the crowd; resolves when the server (or an error) closed it. */
function holdOne(host: string, port: number, kind: Kind, localAddress: string): Promise<void> {
  return new Promise((resolve) => {
    const raw = net.connect({ host, port, localAddress });
    raw.on("error", () => {});
    if (kind === "nocert") {
      // TLS starts once TCP is up: node:tls in Deno throws out of the event loop when the socket
      // it wraps is closed before it connected.
      raw.once("connect", () => {
        const secure = tls.connect({
          socket: raw,
          rejectUnauthorized: false,
          ALPNProtocols: [ALPN_PROTOCOL],
        });
        secure.on("error", () => {});
        secure.on("data", () => {});
        secure.once("end", () => secure.destroy());
      });
    }
    const socket: net.Socket = raw;
    socket.on("error", () => {});
    socket.on("data", () => {});
    if (kind === "half") socket.once("connect", () => socket.write(HALF_CLIENT_HELLO));
    // Deno's node:tls client may not emit "close" when the server ends: "end" counts too.
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.once("close", done);
    socket.once("end", done);
  });
}

async function crowd(
  host: string,
  port: number,
  kind: Kind,
  sources: string[],
  perSource: number,
  durationMs: number,
  maxRate: number,
): Promise<void> {
  const deadline = performance.now() + durationMs;
  const pacer = new Pacer(maxRate);
  let connects = 0, closes = 0;
  const loops = sources.flatMap((source) =>
    Array.from({ length: perSource }, async () => {
      while (performance.now() < deadline) {
        await pacer.turn();
        if (performance.now() >= deadline) break;
        connects++;
        const closed = holdOne(host, port, kind, source);
        const left = deadline - performance.now();
        const ended = await Promise.race([closed.then(() => true), delay(left).then(() => false)]);
        if (!ended) break;
        closes++;
      }
    })
  );
  await Promise.all(loops);
  console.log(JSON.stringify({ kind, sources: sources.length, perSource, connects, closes }));
}

/** Time from connect to the server's Hello, or null when none came within limitMs. */
function trySession(
  options: tls.ConnectionOptions,
  address: string,
  limitMs: number,
): Promise<{ ms: number | null; error?: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = tls.connect(options);
    let error: string | undefined;
    const timer = setTimeout(() => finish(null), limitMs);
    const finish = (ms: number | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error === undefined ? { ms } : { ms, error });
    };
    socket.on("error", (e) => (error = e.message));
    socket.once("close", () => finish(null));
    socket.once("secureConnect", () => {
      socket.write(labHello("crowd newcomer", address));
      socket.once("data", (chunk: Uint8Array) => {
        if (chunk[0] !== FrameType.Hello) error = `the server answered with frame type ${chunk[0]}`;
        finish(chunk[0] === FrameType.Hello ? performance.now() - started : null);
      });
    });
  });
}

async function newcomer(
  host: string,
  port: number,
  certDir: string,
  name: string,
  address: string,
  tries: number,
  everyMs: number,
  limitMs: number,
  from: string | undefined,
): Promise<void> {
  const options = labTlsOptions(host, port, certDir, name, from);
  const results: Array<{ ms: number | null; error?: string }> = [];
  const errors: string[] = [];
  console.log(JSON.stringify({ started: true }));
  for (let i = 0; i < tries; i++) {
    const started = performance.now();
    // Like our client: turned away at a cap (the server's plaintext internal_error alert), it
    // tries again 0.5 s later, within the same limit; the time counts from the first connect.
    let result = await trySession(options, address, limitMs);
    while (
      result.ms === null && /InternalError/.test(result.error ?? "") &&
      performance.now() - started + 500 < limitMs
    ) {
      errors.push(result.error!);
      await delay(500);
      const retry = await trySession(options, address, limitMs - (performance.now() - started));
      result = retry.ms === null ? retry : { ms: performance.now() - started };
    }
    results.push(result);
    await delay(Math.max(0, everyMs - (performance.now() - started)));
  }
  console.log(JSON.stringify({
    sessionMs: results.map((r) => r.ms === null ? null : Math.round(r.ms)),
    errors: [...errors, ...results.flatMap((r) => r.error ? [r.error] : [])],
  }));
}

async function main(args: string[]): Promise<void> {
  const [mode, host = "", portText = "0", ...rest] = args;
  const port = Number(portText);
  switch (mode) {
    case "crowd":
      return await crowd(
        host,
        port,
        rest[0] as Kind,
        rest[1]!.split(","),
        Number(rest[2]),
        Number(rest[3]),
        Number(rest[4]),
      );
    case "newcomer":
      return await newcomer(
        host,
        port,
        rest[0]!,
        rest[1]!,
        rest[2]!,
        Number(rest[3]),
        Number(rest[4]),
        Number(rest[5]),
        rest[6],
      );
    default:
      console.error(`unknown mode ${mode}`);
      Deno.exit(2);
  }
}

if (import.meta.main) {
  // A stranger's tool keeps going whatever one of its thousands of sockets throws.
  globalThis.addEventListener("error", (event) => event.preventDefault());
  globalThis.addEventListener("unhandledrejection", (event) => event.preventDefault());
  await main(Deno.args);
  Deno.exit(0);
}
