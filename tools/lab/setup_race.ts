/**
 * Connects and goes away at every step of session setup, again and again (lab tool: bounded in
 * rounds, targets only the lab address it is given; prints one JSON line at the end):
 *
 *   deno run -A tools/lab/setup_race.ts HOST PORT CERT_DIR NAME ADDRESS ROUNDS
 *
 * Each round does, one after another: close before the ClientHello; half a ClientHello, then
 * close; close a few milliseconds into the handshake (0 to 8 ms: some before, some during, some
 * after it); close after the handshake, before our Hello; half our Hello, then close; our Hello,
 * then close as soon as the server's Hello arrives; our Hello, the server's Hello, a Ping, close.
 */
import net from "node:net";
import tls from "node:tls";
import { FrameType } from "../../src/frame/constants.ts";
import { encodePing } from "../../src/frame/control.ts";
import { connectTls, HALF_CLIENT_HELLO, labHello, labTlsOptions } from "./lab_client_tls.ts";

/** The start of a TLS 1.2/1.3 ClientHello record (header, handshake type, length, version). */
const CLIENT_HELLO_START = new Uint8Array([
  ...HALF_CLIENT_HELLO,
  0x03,
  0x03,
  ...new Array(32).fill(7),
]);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tcp(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

async function main(
  [host = "", portText = "0", certDir = "", name = "", address = "", roundsText = "1"]: string[],
): Promise<void> {
  const port = Number(portText);
  const options = labTlsOptions(host, port, certDir, name);
  const hello = labHello("setup_race", address);
  const counts: Record<string, number> = {};
  const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);
  const secure = () => connectTls(options);
  /** Resolves when the server sends something (its Hello) or closes; false on close. */
  const answer = (socket: tls.TLSSocket, timeoutMs = 5000): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      socket.once("data", () => (clearTimeout(timer), resolve(true)));
      socket.once("close", () => (clearTimeout(timer), resolve(false)));
    });
  const rounds = Number(roundsText);
  for (let round = 0; round < rounds; round++) {
    try {
      (await tcp(host, port)).destroy();
      count("beforeClientHello");
      const half = await tcp(host, port);
      half.write(CLIENT_HELLO_START);
      await delay(1);
      half.destroy();
      count("halfClientHello");
      const early = tls.connect(options);
      early.on("error", () => {});
      await delay(round % 9);
      early.destroy();
      count("duringHandshake");
      (await secure()).destroy();
      count("afterHandshake");
      const midHello = await secure();
      midHello.write(hello.subarray(0, hello.length >> 1));
      await delay(1);
      midHello.destroy();
      count("midHello");
      const afterServer = await secure();
      afterServer.on("error", () => {});
      afterServer.write(hello);
      if (await answer(afterServer)) count("afterServerHello");
      afterServer.destroy();
      const full = await secure();
      full.on("error", () => {});
      full.write(hello);
      if (await answer(full)) {
        full.write(encodePing(FrameType.Ping, 1n));
        count("afterPing");
      }
      full.destroy();
    } catch (error) {
      count(`failed: ${(error as Error).message.slice(0, 60)}`);
    }
  }
  console.log(JSON.stringify(counts));
}

if (import.meta.main) {
  await main(Deno.args);
  Deno.exit(0);
}
