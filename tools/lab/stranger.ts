/**
 * What an attacker or a broken client does to the server's port, run as its own process inside
 * a lab namespace (`deno run -A tools/lab/stranger.ts MODE ...`). Every mode is bounded in count
 * and time, targets only the lab address it is given, and prints one JSON line at the end.
 *
 *   idle HOST PORT COUNT HOLD_MS
 *     opens COUNT TCP connections, sends nothing, holds them HOLD_MS; reports how many the
 *     server closed (and after how long, at the median)
 *   handshakes HOST PORT DURATION_MS [CERT_DIR NAME]
 *     completes TLS handshakes back to back (with NAME's certificate, or none), closing each
 *   stall HOST PORT CERT_DIR NAME ADDRESS HOLD_MS
 *     authenticates, sends a Hello claiming ADDRESS, then never reads; holds HOLD_MS
 *   pings HOST PORT CERT_DIR NAME ADDRESS COUNT HOLD_MS
 *     authenticates, sends a Hello, then COUNT Ping frames without reading a byte; holds HOLD_MS
 *   silent HOST PORT CERT_DIR NAME COUNT HOLD_MS
 *     COUNT authenticated connections that never send a Hello; reports how many were closed
 *   frames HOST PORT CERT_DIR NAME ADDRESS FILE HOLD_MS
 *     authenticates, sends a Hello offering offloads (gso), waits for the server's Hello, then
 *     writes FILE's bytes (frames the test crafted) as they are; holds HOLD_MS, reports whether
 *     the server closed the session
 */
import type tls from "node:tls";
import { FrameType } from "../../src/frame/constants.ts";
import { encodePing, Feature } from "../../src/frame/control.ts";
import { connectTls, labHello, labTlsOptions } from "./lab_client_tls.ts";

function report(value: unknown): void {
  console.log(JSON.stringify(value));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function idle(host: string, port: number, count: number, holdMs: number): Promise<void> {
  const started = performance.now();
  const closedAfter: number[] = [];
  let opened = 0;
  let failed = 0;
  const conns: Deno.Conn[] = [];
  const watchers: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    try {
      const conn = await Deno.connect({ hostname: host, port });
      opened++;
      conns.push(conn);
      watchers.push((async () => {
        try {
          // A server turning us away at a cap may say so first (a 7-byte TLS alert): read to EOF.
          const buffer = new Uint8Array(64);
          while ((await conn.read(buffer)) !== null) { /* discard */ }
          closedAfter.push(performance.now() - started);
        } catch {
          closedAfter.push(performance.now() - started);
        }
      })());
    } catch {
      failed++;
    }
  }
  const remaining = holdMs - (performance.now() - started);
  if (remaining > 0) await delay(remaining);
  const closedByServer = closedAfter.length;
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
  await Promise.allSettled(watchers);
  report({ opened, failed, closedByServer, medianClosedMs: median(closedAfter) });
}

async function handshakes(
  host: string,
  port: number,
  durationMs: number,
  certDir?: string,
  name?: string,
): Promise<void> {
  const deadline = performance.now() + durationMs;
  let completed = 0;
  let failed = 0;
  const options = labTlsOptions(host, port, certDir, name);
  while (performance.now() < deadline) {
    try {
      const socket = await connectTls(options);
      completed++;
      socket.destroy();
    } catch {
      failed++;
    }
  }
  report({ completed, failed });
}

async function frames(
  host: string,
  port: number,
  certDir: string,
  name: string,
  address: string,
  file: string,
  holdMs: number,
): Promise<void> {
  const bytes = await Deno.readFile(file);
  const socket = await connectTls(labTlsOptions(host, port, certDir, name));
  let closed = false;
  socket.once("close", () => (closed = true));
  socket.on("error", () => {});
  socket.write(labHello("stranger", address, [Feature.Gso]));
  await new Promise<void>((resolve) => {
    socket.once("data", () => resolve());
    socket.once("close", () => resolve());
  });
  if (closed) return report({ sent: 0, closedBeforeHello: true });
  socket.on("data", () => {}); // keep reading: pings and pongs
  await new Promise<void>((resolve) => {
    socket.write(bytes, () => resolve());
    socket.once("close", () => resolve());
  });
  report({ sent: bytes.length });
  const deadline = performance.now() + holdMs;
  while (!closed && performance.now() < deadline) await delay(100);
  socket.destroy();
  report({ sent: bytes.length, closedByServer: closed });
}

async function stall(
  host: string,
  port: number,
  certDir: string,
  name: string,
  address: string,
  holdMs: number,
): Promise<void> {
  const socket = await connectTls(labTlsOptions(host, port, certDir, name));
  socket.write(labHello("stranger", address));
  // Read only until the server's Hello; the test then stops this process (SIGSTOP), so nothing
  // is read any more (node:tls's pause() alone keeps reading into memory).
  await new Promise<void>((resolve) => socket.once("data", () => resolve()));
  socket.pause();
  report({ stalled: true });
  await delay(holdMs);
  const closedByServer = socket.destroyed || socket.readableEnded;
  socket.destroy();
  report({ held: holdMs, closedByServer });
}

async function pings(
  host: string,
  port: number,
  certDir: string,
  name: string,
  address: string,
  count: number,
  holdMs: number,
): Promise<void> {
  const socket = await connectTls(labTlsOptions(host, port, certDir, name));
  socket.pause();
  socket.write(labHello("stranger", address));
  const ping = encodePing(FrameType.Ping, 1n);
  const batch = 4096;
  const chunk = new Uint8Array(ping.length * batch);
  for (let i = 0; i < batch; i++) chunk.set(ping, i * ping.length);
  let sent = 0;
  let closed = false;
  socket.once("close", () => (closed = true));
  while (sent < count && !closed) {
    const n = Math.min(batch, count - sent);
    const ok = socket.write(chunk.subarray(0, n * ping.length));
    sent += n;
    if (!ok) await Promise.race([new Promise((r) => socket.once("drain", r)), delay(1000)]);
  }
  report({ sent });
  const deadline = performance.now() + holdMs;
  while (!closed && performance.now() < deadline) await delay(100);
  socket.destroy();
  report({ sent, closedByServer: closed });
}

async function silent(
  host: string,
  port: number,
  certDir: string,
  name: string,
  count: number,
  holdMs: number,
): Promise<void> {
  const options = labTlsOptions(host, port, certDir, name);
  const sockets: tls.TLSSocket[] = [];
  let closed = 0;
  let failed = 0;
  for (let i = 0; i < count; i++) {
    try {
      const socket = await connectTls(options);
      socket.once("close", () => closed++);
      socket.on("data", () => {});
      socket.on("error", () => {});
      sockets.push(socket);
    } catch {
      failed++;
    }
  }
  report({ connected: sockets.length });
  await delay(holdMs);
  const closedByServer = closed;
  for (const socket of sockets) socket.destroy();
  report({ connected: sockets.length, failed, closedByServer });
}

async function main(args: string[]): Promise<void> {
  const [mode, host = "", portText = "0", ...rest] = args;
  const port = Number(portText);
  switch (mode) {
    case "idle":
      return await idle(host, port, Number(rest[0]), Number(rest[1]));
    case "handshakes":
      return await handshakes(host, port, Number(rest[0]), rest[1], rest[2]);
    case "stall":
      return await stall(host, port, rest[0]!, rest[1]!, rest[2]!, Number(rest[3]));
    case "pings":
      return await pings(
        host,
        port,
        rest[0]!,
        rest[1]!,
        rest[2]!,
        Number(rest[3]),
        Number(rest[4]),
      );
    case "silent":
      return await silent(host, port, rest[0]!, rest[1]!, Number(rest[2]), Number(rest[3]));
    case "frames":
      return await frames(host, port, rest[0]!, rest[1]!, rest[2]!, rest[3]!, Number(rest[4]));
    default:
      console.error(`unknown mode ${mode}`);
      Deno.exit(2);
  }
}

if (import.meta.main) {
  await main(Deno.args);
  // Sockets the server never closed must not keep this process alive.
  Deno.exit(0);
}
