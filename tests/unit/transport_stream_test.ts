import assert from "node:assert/strict";
import {
  OWN_BUFFER_AFTER_BYTES,
  type SecureStream,
  type TlsSocketStream,
} from "../../src/transport/secure_stream.ts";
import { pollUntil } from "../lib/poll.ts";
import { withStreamPair } from "../lib/tls_material.ts";

/** Collects what a stream receives; each chunk is copied, since it is only valid in the call. */
function collect(stream: SecureStream) {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const waiters: Array<[number, () => void]> = [];
  stream.onData((chunk) => {
    chunks.push(chunk.slice());
    bytes += chunk.length;
    for (const [want, resolve] of waiters.splice(0)) {
      if (bytes >= want) resolve();
      else waiters.push([want, resolve]);
    }
  });
  return {
    until: (want: number) =>
      new Promise<void>((resolve) => bytes >= want ? resolve() : waiters.push([want, resolve])),
    bytes: () => {
      const all = new Uint8Array(bytes);
      let offset = 0;
      for (const chunk of chunks) {
        all.set(chunk, offset);
        offset += chunk.length;
      }
      return all;
    },
  };
}

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

Deno.test("a dialed stream delivers every byte intact both ways, also bytes that arrive before anyone listens", async () => {
  await withStreamPair(async (client, server) => {
    // The client reads through one reused buffer: what the server sends before the client's
    // session listens must be kept as copies, not as views of that buffer.
    const early = pattern(200_000, 1);
    await server.write(early);
    await pollUntil(
      () => (client as TlsSocketStream).heldBytes === early.length,
      "the early bytes reached the client before it listens",
    );
    const down = pattern(8 * 1024 * 1024, 2);
    const up = pattern(8 * 1024 * 1024, 3);
    const atClient = collect(client);
    const atServer = collect(server);
    await Promise.all([server.write(down), client.write(up)]);
    await Promise.all([
      atClient.until(early.length + down.length),
      atServer.until(up.length),
    ]);
    const received = atClient.bytes();
    assert.equal(received.length, early.length + down.length);
    assert.ok(received.subarray(0, early.length).every((b, i) => b === early[i]), "early bytes");
    assert.ok(received.subarray(early.length).every((b, i) => b === down[i]), "bulk down");
    assert.ok(atServer.bytes().every((b, i) => b === up[i]), "bulk up");
  });
});

Deno.test("an accepted stream decrypts into one reused buffer, and keeps copies of bytes that arrive before anyone listens", async () => {
  await withStreamPair(async (client, server) => {
    const early = pattern(200_000, 4);
    await client.write(early);
    await pollUntil(
      () => server.heldBytes === early.length,
      "the early bytes reached the server before it listens",
    );
    const up = pattern(4 * 1024 * 1024, 5);
    const received: Uint8Array[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let bytes = 0;
    server.onData((chunk) => {
      // The early bytes are replayed first, as copies; later chunks are views of one buffer.
      if (bytes >= early.length) buffers.add(chunk.buffer);
      received.push(chunk.slice());
      bytes += chunk.length;
    });
    await client.write(up);
    await pollUntil(() => bytes === early.length + up.length, "every byte reached the server");
    const all = new Uint8Array(bytes);
    let offset = 0;
    for (const chunk of received) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    assert.ok(all.subarray(0, early.length).every((b, i) => b === early[i]), "early bytes");
    assert.ok(all.subarray(early.length).every((b, i) => b === up[i]), "bulk up, intact");
    assert.equal(buffers.size, 1, "chunks after listen() share one buffer");
    assert.ok(server.readsIntoOwnBuffer);
  });
});

Deno.test("an accepted stream that carries little (a silent peer, a Hello) holds no receive buffer", async () => {
  await withStreamPair(async (client, server) => {
    let bytes = 0;
    server.onData((chunk) => (bytes += chunk.length));
    await client.write(pattern(OWN_BUFFER_AFTER_BYTES - 1024, 6));
    await pollUntil(() => bytes === OWN_BUFFER_AFTER_BYTES - 1024, "the small write arrived");
    assert.equal(server.readsIntoOwnBuffer, false, "no buffer below the threshold");
    await client.write(pattern(256 * 1024, 7));
    await pollUntil(() => bytes === OWN_BUFFER_AFTER_BYTES - 1024 + 256 * 1024, "all arrived");
    assert.equal(server.readsIntoOwnBuffer, true, "the buffer once it carries data");
  });
});
