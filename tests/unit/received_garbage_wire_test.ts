/**
 * Received garbage counted by the TLS records read (secure_stream.ts IncomingChunks): a peer
 * whose records carry next to nothing (padded to 16 KiB) makes the runtime allocate a read buffer
 * per read all the same, and the minor collection must come by those bytes, not the plaintext.
 */
import assert from "node:assert/strict";
import { IncomingChunks } from "../../src/transport/secure_stream.ts";
import { GARBAGE_BUDGET, ReceivedGarbage } from "../../src/runtime/garbage.ts";
import { pollUntil } from "../lib/poll.ts";
import { withStreamPair } from "../lib/tls_material.ts";

/** 40-byte chunks, each carried by a 16 KiB record. */
function padded(counting: boolean): number {
  let collections = 0;
  const incoming = new IncomingChunks(new ReceivedGarbage(() => collections++));
  let wire = 0;
  if (counting) incoming.countWire(() => wire);
  incoming.listen(() => {});
  for (let i = 0; i < 1000; i++) {
    wire += 16 * 1024 + 22;
    incoming.deliver(new Uint8Array(40));
  }
  return collections;
}

Deno.test("garbage is counted by the records read: 1,000 padded records make a minor collection per budget", () => {
  const expected = Math.floor((1000 * (16 * 1024 + 22)) / GARBAGE_BUDGET);
  assert.equal(padded(true), expected);
  // By plaintext alone (40 KB in all), no collection would ever come.
  assert.equal(padded(false), 0);
});

Deno.test("garbage of a chunk is never counted below its plaintext (the wire count may lag)", () => {
  let collections = 0;
  const incoming = new IncomingChunks(new ReceivedGarbage(() => collections++));
  incoming.countWire(() => 0);
  incoming.listen(() => {});
  incoming.deliver(new Uint8Array(GARBAGE_BUDGET));
  assert.equal(collections, 1);
});

Deno.test("an accepted stream counts the TLS records it read, beyond the plaintext they carried", async () => {
  await withStreamPair(async (client, server) => {
    let plain = 0;
    server.onData((chunk) => plain += chunk.length);
    const before = server.wireBytes;
    assert.equal(typeof before, "number", "the runtime tells the bytes read (node:tls _parent)");
    // 200 writes of 10 bytes: one record each, 22+ bytes of TLS around each.
    for (let i = 0; i < 200; i++) await client.write(new Uint8Array(10));
    await pollUntil(() => plain === 2000, "the server received the 2,000 bytes");
    const read = server.wireBytes! - before!;
    assert.ok(read >= 200 * (10 + 22), `${read} bytes read for 200 records of 10 bytes`);
  });
});
