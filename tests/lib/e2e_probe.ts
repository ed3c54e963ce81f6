/**
 * A small network tool for the end-to-end tests, run inside a lab namespace with
 * `ip netns exec NS deno run -A tests/lib/e2e_probe.ts MODE ...`. Every mode prints one JSON line
 * on stdout describing what happened, and exits 0 unless its arguments are wrong.
 *
 *   recv PORT TIMEOUT_MS
 *       Accepts one TCP connection on [::]:PORT (IPv4 too), reads it to the end and reports
 *       `{ bytes, sha256 }`. Prints `{ "listening": PORT }` first, once the socket is bound.
 *   send HOST PORT BYTES SEED TIMEOUT_MS
 *       Connects (retrying while refused) and sends BYTES deterministic pseudo-random bytes
 *       made from SEED, then closes; reports `{ bytes, sha256 }` of what it sent.
 *   udp HOST PORT TEXT COUNT
 *       Sends COUNT UDP datagrams whose payload is TEXT; reports `{ sent }`.
 *   tls HOST PORT CERT KEY CA HEX WAIT_MS
 *       Makes a TLS connection that presents CERT/KEY and trusts CA (ALPN sssonector/1). Once
 *       the handshake completes it writes the bytes HEX (may be empty), then waits up to WAIT_MS
 *       for the server to close. Reports `{ secure, error, closedByServer }`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import dgram from "node:dgram";
import tls from "node:tls";

const CHUNK = 1 << 20;

/** Fills `out` with xorshift32 output, continuing from `state`; returns the new state. */
export function fillPseudoRandom(out: Uint32Array, state: number): number {
  let x = state >>> 0 || 0x9e3779b9;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x;
  }
  return x;
}

function report(value: unknown): void {
  console.log(JSON.stringify(value));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function receive(port: number, timeoutMs: number): Promise<void> {
  // "::" takes IPv4 too (IPv4-mapped), so one receiver serves both families.
  const listener = Deno.listen({ hostname: "::", port });
  report({ listening: port });
  const timer = setTimeout(() => {
    report({ error: `no complete transfer within ${timeoutMs} ms` });
    Deno.exit(1);
  }, timeoutMs);
  const conn = await listener.accept();
  listener.close();
  const hash = createHash("sha256");
  const buffer = new Uint8Array(256 * 1024);
  let bytes = 0;
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
    bytes += n;
  }
  conn.close();
  clearTimeout(timer);
  report({ bytes, sha256: hash.digest("hex") });
}

async function send(
  host: string,
  port: number,
  total: number,
  seed: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let conn: Deno.TcpConn | undefined;
  while (conn === undefined) {
    try {
      conn = await Deno.connect({ hostname: host, port });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(100);
    }
  }
  const hash = createHash("sha256");
  const words = new Uint32Array(CHUNK / 4);
  const bytes = new Uint8Array(words.buffer);
  let state = seed;
  let sent = 0;
  while (sent < total) {
    state = fillPseudoRandom(words, state);
    const piece = bytes.subarray(0, Math.min(CHUNK, total - sent));
    hash.update(piece);
    let offset = 0;
    while (offset < piece.length) offset += await conn.write(piece.subarray(offset));
    sent += piece.length;
  }
  await conn.closeWrite();
  // Wait for the receiver to close, so that every byte was read before we report.
  await conn.read(new Uint8Array(1)).catch(() => null);
  conn.close();
  report({ bytes: sent, sha256: hash.digest("hex") });
}

async function sendUdp(host: string, port: number, text: string, count: number): Promise<void> {
  const socket = dgram.createSocket("udp4");
  const payload = new TextEncoder().encode(text);
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) =>
      socket.send(payload, port, host, (error) => (error ? reject(error) : resolve()))
    );
    await delay(20);
  }
  socket.close();
  report({ sent: count });
}

async function probeTls(
  host: string,
  port: number,
  files: { cert: string; key: string; ca: string },
  payload: Uint8Array,
  waitMs: number,
): Promise<void> {
  const [cert, key, ca] = await Promise.all(
    [files.cert, files.key, files.ca].map((path) => Deno.readTextFile(path)),
  );
  const result = await new Promise<{ secure: boolean; error: string; closedByServer: boolean }>(
    (resolve) => {
      let secure = false;
      let error = "";
      const socket = tls.connect({
        host,
        port,
        cert,
        key,
        ca,
        ALPNProtocols: ["sssonector/1"],
        rejectUnauthorized: true,
      });
      const timer = setTimeout(() => finish(false), waitMs);
      const finish = (closedByServer: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ secure, error, closedByServer });
      };
      socket.on("secureConnect", () => {
        secure = true;
        if (payload.length > 0) socket.write(payload);
      });
      socket.on("data", () => {});
      socket.on("error", (e: Error) => (error ||= e.message));
      socket.on("close", () => finish(true));
    },
  );
  report(result);
}

function hexBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new TypeError(`Not hex: "${hex}"`);
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

async function main(args: string[]): Promise<void> {
  const [mode, ...rest] = args;
  const num = (i: number) => {
    const value = Number(rest[i]);
    if (!Number.isFinite(value)) throw new TypeError(`Argument ${i + 2} is not a number`);
    return value;
  };
  switch (mode) {
    case "recv":
      return await receive(num(0), num(1));
    case "send":
      return await send(rest[0]!, num(1), num(2), num(3), num(4));
    case "udp":
      return await sendUdp(rest[0]!, num(1), rest[2]!, num(3));
    case "tls":
      return await probeTls(
        rest[0]!,
        num(1),
        { cert: rest[2]!, key: rest[3]!, ca: rest[4]! },
        hexBytes(rest[5] ?? ""),
        num(6),
      );
    default:
      throw new TypeError(`Unknown mode: "${mode}"`);
  }
}

if (import.meta.main) {
  await main(Deno.args);
}
