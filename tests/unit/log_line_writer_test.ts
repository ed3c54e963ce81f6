import assert from "node:assert/strict";
import { QueuedLineWriter } from "../../src/log/line_writer.ts";
import { pollUntil } from "../lib/poll.ts";

/** A destination whose writes the test completes or fails by hand. */
class ManualDestination {
  written: string[] = [];
  pending: Array<{ bytes: Uint8Array; resolve: (n: number) => void; reject: (e: Error) => void }> =
    [];

  write(bytes: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => this.pending.push({ bytes, resolve, reject }));
  }

  complete(): void {
    for (const { bytes, resolve } of this.pending.splice(0)) {
      this.written.push(new TextDecoder().decode(bytes));
      resolve(bytes.length);
    }
  }

  fail(error: Error): void {
    for (const { reject } of this.pending.splice(0)) reject(error);
  }
}

Deno.test("QueuedLineWriter writes lines in order, one write at a time", async () => {
  const out = new ManualDestination();
  const writer = new QueuedLineWriter(out, { name: "test", report: () => {} });
  writer.write("a\n");
  writer.write("b\n");
  writer.write("c\n");
  assert.equal(out.pending.length, 1, "one write at a time");
  for (let i = 0; i < 3; i++) {
    await pollUntil(() => out.pending.length === 1, `write ${i} is under way`);
    out.complete();
  }
  await pollUntil(() => writer.queuedBytes === 0, "the queue is empty");
  assert.deepEqual(out.written, ["a\n", "b\n", "c\n"]);
});

Deno.test("QueuedLineWriter drops and counts lines while a destination is stalled, within its bound", () => {
  const out = new ManualDestination();
  const counters = { failedWrites: 0 };
  const reports: string[] = [];
  const writer = new QueuedLineWriter(out, {
    name: "standard output",
    maxQueuedBytes: 100,
    counters,
    report: (message) => reports.push(message),
  });
  for (let i = 0; i < 50; i++) writer.write("0123456789\n"); // 11 bytes each
  assert.ok(writer.queuedBytes <= 100, `${writer.queuedBytes} bytes queued`);
  assert.equal(counters.failedWrites, 50 - 9);
  assert.equal(reports.length, 1, "reported once");
  assert.match(reports[0]!, /cannot write log lines to standard output: .*not taking lines/);
});

Deno.test("QueuedLineWriter survives a closed pipe: counts, reports once, and reports the recovery", async () => {
  const out = new ManualDestination();
  const counters = { failedWrites: 0 };
  const reports: string[] = [];
  const writer = new QueuedLineWriter(out, {
    name: "standard output",
    counters,
    retryMs: 0,
    report: (message) => reports.push(message),
  });
  writer.write("first\n");
  writer.write("second\n");
  out.fail(new Error("Broken pipe (os error 32)"));
  await pollUntil(() => counters.failedWrites === 2, "both lines counted as lost");
  assert.equal(reports.length, 1);
  assert.match(reports[0]!, /Broken pipe/);
  writer.write("third\n");
  await pollUntil(() => out.pending.length === 1, "a later line is tried again");
  out.complete();
  await pollUntil(() => reports.length === 2, "the recovery is reported");
  assert.match(reports[1]!, /reach standard output again; 2 were lost/);
});
