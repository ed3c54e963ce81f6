/**
 * A fatal TLS error on an open connection (a record that does not decrypt, more than 32
 * KeyUpdates in a row) ends the stream at once, so the session ends and frees its address then,
 * not when the peer finally goes or the keepalive times out. Real openssl s_client that stays
 * connected, against a real TlsListener.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TlsListener } from "../../src/transport/listener.ts";
import type { SecureStream } from "../../src/transport/secure_stream.ts";
import { ALPN_PROTOCOL } from "../../src/transport/tls_options.ts";
import { acceptOnly } from "../../tools/lab/listener_events.ts";
import { pollUntil } from "../lib/poll.ts";
import { loopbackCertificates } from "../../tools/lab/loopback_certificates.ts";

interface Lab {
  readonly listener: TlsListener;
  readonly streams: SecureStream[];
  readonly dir: string;
}

async function withListener(fn: (lab: Lab) => Promise<void>): Promise<void> {
  await using certs = await loopbackCertificates("sst-alert-");
  const streams: SecureStream[] = [];
  const listener = await TlsListener.listen(
    { host: "127.0.0.1", port: 0 },
    await certs.material("server"),
    acceptOnly((stream) => {
      stream.onData(() => {});
      streams.push(stream);
    }),
  );
  try {
    await fn({ listener, streams, dir: certs.dir });
  } finally {
    for (const stream of streams) stream.destroy();
    await listener.close();
  }
}

/** s_client connected to `port`, commands on (no -ign_eof), stdin kept open until killed. */
function sClient(dir: string, port: number) {
  const child = new Deno.Command("openssl", {
    args: [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-tls1_3",
      "-cert",
      join(dir, "client.crt"),
      "-key",
      join(dir, "client.key"),
      "-alpn",
      ALPN_PROTOCOL,
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stdin = child.stdin.getWriter();
  return {
    stdin,
    async stop() {
      await stdin.close().catch(() => {});
      try {
        child.kill();
      } catch { /* gone */ }
      await child.status;
    },
  };
}

/** Resolves with the stream's end when it comes within `ms`, else "still open". */
function endWithin(stream: SecureStream, ms: number): Promise<Error | undefined | "still open"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    stream.closed.finally(() => clearTimeout(timer)),
    new Promise<"still open">((resolve) => (timer = setTimeout(() => resolve("still open"), ms))),
  ]);
}

Deno.test("TlsSocketStream ends at once after the peer sends more than 32 KeyUpdates in a row", async () => {
  await withListener(async ({ listener, streams, dir }) => {
    const client = sClient(dir, listener.endpoint.port);
    try {
      await pollUntil(() => streams.length === 1, "the client's stream is open");
      // s_client sends one KeyUpdate per "k" line it reads on its own.
      let ended = false;
      streams[0]!.closed.then(() => (ended = true));
      for (let i = 0; i < 40 && !ended; i++) {
        // Once the server ends the connection, s_client exits and its stdin breaks.
        await client.stdin.write(new TextEncoder().encode("k\n")).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const end = await endWithin(streams[0]!, 5000);
      assert.notEqual(end, "still open", "the stream outlived the fatal alert");
      assert.match(String((end as Error | undefined)?.message), /KeyUpdate/);
    } finally {
      await client.stop();
    }
  });
});

Deno.test("TlsSocketStream ends at once after a record that does not decrypt", async () => {
  await withListener(async ({ listener, streams, dir }) => {
    // A relay between s_client and the listener that can slip a forged record in.
    const relay = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    let toServer: Deno.Conn | undefined;
    const relayed = (async () => {
      const inbound = await relay.accept();
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port: listener.endpoint.port });
      toServer = outbound;
      await Promise.allSettled([
        inbound.readable.pipeTo(outbound.writable, { preventClose: true }),
        outbound.readable.pipeTo(inbound.writable),
      ]);
    })();
    const client = sClient(dir, relay.addr.port);
    try {
      await pollUntil(() => streams.length === 1, "the client's stream is open");
      // An application-data record of 32 bytes that was never encrypted with the session's keys.
      const forged = new Uint8Array(5 + 32);
      forged.set([0x17, 0x03, 0x03, 0x00, 0x20]);
      await toServer!.write(forged);
      const end = await endWithin(streams[0]!, 5000);
      assert.notEqual(end, "still open", "the stream outlived the fatal alert");
    } finally {
      await client.stop();
      relay.close();
      try {
        toServer?.close();
      } catch { /* closed */ }
      await relayed.catch(() => {});
    }
  });
});
