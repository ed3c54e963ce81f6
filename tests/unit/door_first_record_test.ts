/**
 * The door's first read (src/transport/first_record.ts): a connection goes to TLS only once its
 * whole first record is in, with every byte put back in order; one that ends before is refused.
 */
import assert from "node:assert/strict";
import net from "node:net";
import {
  firstRecordLength,
  MAX_RECORD,
  readFirstRecord,
  RECORD_HEADER,
} from "../../src/transport/first_record.ts";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("firstRecordLength() waits for a handshake record's whole length, else for its header", () => {
  assert.equal(firstRecordLength(new Uint8Array([0x16, 3, 1])), undefined);
  assert.equal(firstRecordLength(new Uint8Array([0x16, 3, 1, 0x02, 0x00])), RECORD_HEADER + 512);
  assert.equal(
    firstRecordLength(new Uint8Array([0x16, 3, 1, 0x40, 0x00])),
    RECORD_HEADER + MAX_RECORD,
  );
  // Longer than any record, empty, or not a handshake (HTTP, an SSLv2-style hello): TLS decides.
  assert.equal(firstRecordLength(new Uint8Array([0x16, 3, 1, 0x40, 0x01])), RECORD_HEADER);
  assert.equal(firstRecordLength(new Uint8Array([0x16, 3, 1, 0, 0])), RECORD_HEADER);
  assert.equal(firstRecordLength(new TextEncoder().encode("GET / HTTP/1.1")), RECORD_HEADER);
  assert.equal(firstRecordLength(new Uint8Array([0x80, 0x2e, 1, 3, 1])), RECORD_HEADER);
});

/** A server whose connections go through readFirstRecord; reports what each then reads. */
async function withGate(
  fn: (port: number, outcomes: Array<Promise<string>>) => Promise<void>,
): Promise<void> {
  const outcomes: Array<Promise<string>> = [];
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    outcomes.push(
      readFirstRecord(socket).then(
        () =>
          new Promise<string>((resolve) => {
            const got: number[] = [];
            socket.on("data", (chunk: Uint8Array) => got.push(...chunk));
            socket.once("end", () => resolve(`passed ${got.join(",")}`));
            socket.resume();
          }),
        (error: Error) => `refused: ${error.message}`,
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await fn((server.address() as net.AddressInfo).port, outcomes);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

Deno.test("readFirstRecord() passes a connection on only once its record is whole, every byte in order", async () => {
  await withGate(async (port, outcomes) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    // A 6-byte handshake record sent in three pieces, then 2 bytes of the next record.
    await conn.write(new Uint8Array([0x16, 3]));
    await delay(30);
    await conn.write(new Uint8Array([1, 0, 6, 1, 2]));
    await delay(30);
    let settled = false;
    outcomes[0]!.then(() => (settled = true));
    await delay(30);
    assert.equal(settled, false, "half the record is not enough");
    await conn.write(new Uint8Array([3, 4, 5, 6, 0x17, 3]));
    await conn.closeWrite();
    assert.equal(await outcomes[0], "passed 22,3,1,0,6,1,2,3,4,5,6,23,3");
    conn.close();
  });
});

Deno.test("readFirstRecord() refuses a connection that ends before its record is whole", async () => {
  await withGate(async (port, outcomes) => {
    const idle = await Deno.connect({ hostname: "127.0.0.1", port });
    const half = await Deno.connect({ hostname: "127.0.0.1", port });
    await half.write(new Uint8Array([0x16, 3, 1, 2, 0, 1, 0, 1, 0xfc]));
    await delay(30);
    idle.close();
    half.close();
    while (outcomes.length < 2) await delay(10);
    assert.deepEqual(await Promise.all(outcomes), [
      "refused: closed before a complete ClientHello",
      "refused: closed before a complete ClientHello",
    ]);
  });
});

Deno.test("readFirstRecord() refuses a connection reset before its record is whole, and the process lives on", async () => {
  await withGate(async (port, outcomes) => {
    const client = net.connect({ host: "127.0.0.1", port });
    client.on("error", () => {});
    await new Promise((resolve) => client.once("connect", resolve));
    client.write(new Uint8Array([0x16, 3, 1, 2, 0, 1]));
    await delay(30);
    client.resetAndDestroy();
    while (outcomes.length < 1) await delay(10);
    assert.match(await outcomes[0]!, /^refused: (reset|closed) before a complete ClientHello/);
  });
});
