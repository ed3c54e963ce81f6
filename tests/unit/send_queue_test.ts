import assert from "node:assert/strict";
import type { ConnectionInfo, SecureStream } from "../../src/transport/secure_stream.ts";
import { PRIORITY_LANE_BYTES, SendBudget, SendQueue } from "../../src/session/send_queue.ts";
import { batch, bulkFrame, frameTag, ipv4, pingFrame, splitFrames } from "../lib/aqm_packets.ts";
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";

/** A carrier whose writes complete only when the test says so, one at a time, in order. */
class ManualStream implements SecureStream {
  readonly info = { remote: "test:1" } as ConnectionInfo;
  readonly closed = new Promise<Error | undefined>(() => {});
  /** Every write's bytes (copied), in order, and whether it has completed. */
  writes: Array<{ bytes: Uint8Array; done: () => void }> = [];
  completed = 0;
  onData(): void {}
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => this.writes.push({ bytes: bytes.slice(), done: resolve }));
  }
  /** Completes the oldest pending write; resolves once the queue has reacted. */
  async complete(): Promise<boolean> {
    const next = this.writes[this.completed];
    if (!next) return false;
    this.completed++;
    next.done();
    await Promise.resolve();
    await Promise.resolve();
    return true;
  }
  /** Tags of the packets in every write so far, in order. */
  tags(): number[] {
    return this.writes.flatMap((w) => splitFrames(w.bytes).map((frame) => frameTag(frame)));
  }
  end(): void {}
  destroy(): void {}
}

Deno.test("SendQueue writes a ping ahead of a bulk backlog (the issue: a ping waited behind bulk data)", async () => {
  const stream = new ManualStream();
  const queue = new SendQueue(stream);
  queue.writeWindowBytes = 1; // one write in TLS's hands at a time
  for (let tag = 1; tag <= 20; tag++) assert.ok(queue.offer(bulkFrame(tag)));
  assert.ok(queue.offer(pingFrame(999)));
  assert.equal(stream.writes.length, 1, "only the window's worth is handed to TLS");
  await stream.complete();
  assert.deepEqual(stream.tags().slice(0, 2), [1, 999], "the ping goes next, not 20th");
  while (await stream.complete());
  assert.deepEqual(
    stream.tags().filter((t) => t !== 999),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.equal(queue.queued, 0);
  assert.equal(queue.aqm.priority, 1);
});

Deno.test("SendQueue lends a batch whole and releases it once, after the pieces around a ping", async () => {
  const stream = new ManualStream();
  const budget = new SendBudget();
  const queue = new SendQueue(stream, { budget });
  const lent = batch(bulkFrame(1), bulkFrame(2), pingFrame(3), bulkFrame(4));
  let released = 0;
  assert.ok(queue.offer(lent, 262144, () => released++));
  assert.equal(queue.queued, 262144 + pingFrame().length, "the buffer whole, plus the ping's copy");
  while (await stream.complete());
  assert.deepEqual(stream.tags(), [3, 1, 2, 4], "the ping first, the bulk frames in order");
  assert.equal(released, 1);
  assert.equal(queue.queued, 0);
  assert.equal(budget.used, 0);
  const views = stream.writes.filter((w) => w.bytes.length > 200);
  assert.equal(views.length, 2, "the bulk runs before and after the ping are written in place");
});

Deno.test("SendQueue drops from a standing bulk backlog (CoDel) so a sender that backs off keeps it short", async () => {
  let now = 0;
  const stream = new ManualStream();
  const queue = new SendQueue(stream, { clock: () => now, limitBytes: 4 * 1024 * 1024 });
  queue.writeWindowBytes = 1;
  // The carrier takes one packet a millisecond. The sender inside the tunnel behaves like TCP:
  // it speeds up steadily and halves its rate when it loses a packet. Without drops it would
  // fill the queue to its 4 MiB limit (about 3 s of waiting).
  let rate = 1.5;
  let credit = 0;
  let seenDrops = 0;
  let tag = 0;
  const sojourns: number[] = [];
  for (now = 0; now < 6000; now += 1) {
    for (credit += rate; credit >= 1; credit--) queue.offer(bulkFrame(tag++ & 0xffff));
    await stream.complete();
    sojourns.push(queue.aqm.sojournMs);
    if (queue.aqm.dropped > seenDrops) {
      seenDrops = queue.aqm.dropped;
      rate /= 2;
    } else {
      rate += 0.001;
    }
  }
  assert.ok(seenDrops > 3, `${seenDrops} drops`);
  const late = sojourns.slice(3000).sort((a, b) => a - b);
  const median = late[late.length >> 1]!;
  assert.ok(median < 50, `the median wait stays short: ${median} ms`);
  assert.ok(late.at(-1)! < 300, `and the worst bounded: ${late.at(-1)} ms`);
});

Deno.test("SendQueue marks ECN-capable packets instead of dropping them", async () => {
  let now = 0;
  const stream = new ManualStream();
  const queue = new SendQueue(stream, { clock: () => now, limitBytes: 4 * 1024 * 1024 });
  queue.writeWindowBytes = 1;
  for (now = 0; now < 1000; now += 1) {
    queue.offer(bulkFrame(1, 1400, 0b10));
    queue.offer(bulkFrame(2, 1400, 0b10));
    await stream.complete();
  }
  assert.equal(queue.aqm.dropped, 0);
  assert.ok(queue.aqm.marked > 10, `${queue.aqm.marked} marked`);
  const marked = stream.writes.filter((w) => (w.bytes[5]! & 0x03) === 0x03).length;
  assert.equal(marked, queue.aqm.marked);
});

Deno.test("SendQueue close() gives back what was never written and returns the budget", () => {
  const stream = new ManualStream();
  const budget = new SendBudget();
  const queue = new SendQueue(stream, { budget });
  queue.writeWindowBytes = 1;
  let released = 0;
  for (let i = 0; i < 5; i++) queue.offer(bulkFrame(i), 65536, () => released++);
  assert.equal(stream.writes.length, 1);
  queue.close();
  assert.equal(released, 4, "the four never handed to TLS are released at once");
  assert.equal(budget.used, 0);
  assert.equal(queue.offer(bulkFrame(9)), false);
});

Deno.test("SendQueue copies out a lent buffer that would wait, and gives it back at once", async () => {
  const stream = new ManualStream();
  const queue = new SendQueue(stream);
  queue.writeWindowBytes = 1;
  const released: number[] = [];
  assert.ok(queue.offer(bulkFrame(1), 262144, () => released.push(1)));
  assert.equal(released.length, 0, "the first goes to TLS in place: lent until written");
  const second = bulkFrame(2);
  assert.ok(queue.offer(second, 262144, () => released.push(2)));
  assert.deepEqual(released, [2], "the second would wait: copied, and its buffer given back");
  assert.equal(queue.queued, 262144 + second.length, "charged what it holds, not the buffer");
  second.fill(0); // the reader reuses its buffer at once
  while (await stream.complete());
  assert.deepEqual(stream.tags(), [1, 2], "the copy went out intact");
  assert.deepEqual(released, [2, 1]);
  assert.equal(queue.queued, 0);
});

Deno.test("SendQueue lets a flood of small packets into the priority lane only up to its bound", async () => {
  const stream = new ManualStream();
  const queue = new SendQueue(stream, { limitBytes: 4 * 1024 * 1024 });
  queue.writeWindowBytes = 1;
  queue.offer(bulkFrame(60001)); // in TLS's hands: everything after it waits
  queue.offer(bulkFrame(60002)); // waits in the bulk lane
  for (let i = 0; i < 2000; i++) queue.offer(pingFrame(i));
  while (await stream.complete());
  const order = stream.tags();
  const bulk = order.indexOf(60002);
  const lane = Math.floor(PRIORITY_LANE_BYTES / pingFrame().length);
  assert.equal(bulk, 1 + lane, "the bulk frame goes after the bounded lane, not after the flood");
  assert.equal(order.length, 2002);
});

Deno.test("SendQueue keeps a well-filled lent buffer lent even when it waits (no copy at speed)", async () => {
  const stream = new ManualStream();
  const queue = new SendQueue(stream);
  queue.writeWindowBytes = 1;
  const released: number[] = [];
  queue.offer(bulkFrame(1), 4096, () => released.push(1));
  const full = batch(bulkFrame(2), bulkFrame(3)); // more than half of its 4096-byte buffer
  queue.offer(full, 4096, () => released.push(2));
  assert.equal(released.length, 0, "both still lent");
  assert.equal(queue.queued, 8192);
  while (await stream.complete());
  assert.deepEqual(released, [1, 2]);
  assert.deepEqual(stream.tags(), [1, 2, 3]);
});

Deno.test("SendQueue hands sparse packets to its sparse lane, keeps bulk, and keeps what the lane refuses", async () => {
  const stream = new ManualStream();
  const queue = new SendQueue(stream);
  const onLane: number[] = [];
  let laneTakes = true;
  queue.sparseSink = (frames) => {
    if (!laneTakes) return false;
    onLane.push(...frames.map((frame) => frameTag(frame.slice())));
    return true;
  };
  let released = 0;
  const ack = encodeFrame(FrameType.Packet, ipv4(6, 40, { tag: 6 })); // a bulk flow's ACK
  const lent = batch(bulkFrame(1), pingFrame(2), ack, bulkFrame(3), pingFrame(5));
  assert.ok(queue.offer(lent, 262144, () => released++));
  laneTakes = false;
  assert.ok(queue.offer(pingFrame(4)));
  while (await stream.complete());
  assert.deepEqual(onLane, [2, 5], "the pings went to the lane, together");
  assert.deepEqual(stream.tags().filter((t) => t !== 4 && t !== 6), [1, 3], "bulk stays here");
  assert.ok(stream.tags().includes(6), "the ACK keeps the priority lane, off the sparse lane");
  assert.ok(stream.tags().includes(4), "the ping the lane refused goes this way");
  assert.equal(queue.aqm.priority, 2, "both through the priority lane");
  assert.equal(released, 1);
  assert.equal(queue.queued, 0, "nothing stays charged for what the lane took");
});

Deno.test("SendQueue.offerSparse sends a lane's batch in one write ahead of bulk data", async () => {
  const stream = new ManualStream();
  const queue = new SendQueue(stream);
  queue.writeWindowBytes = 1;
  for (let tag = 1; tag <= 3; tag++) assert.ok(queue.offer(bulkFrame(tag)));
  assert.ok(queue.offerSparse(batch(pingFrame(7), pingFrame(8))));
  await stream.complete();
  assert.deepEqual(splitFrames(stream.writes[1]!.bytes).map((f) => frameTag(f)), [7, 8]);
  while (await stream.complete());
  assert.equal(queue.queued, 0);
});
