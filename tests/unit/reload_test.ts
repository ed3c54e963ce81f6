import assert from "node:assert/strict";
import { configure, getLogger, type LogRecord, reset } from "@logtape/logtape";
import type { LogReopenResult } from "../../src/log/setup.ts";
import type { ReloadResult } from "../../src/pki/certificate_store.ts";
import { Reloader, reloadOnce } from "../../src/reload.ts";

async function recording() {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record) => records.push(record) },
    loggers: [{ category: ["test"], sinks: ["memory"], lowestLevel: "debug" }],
  });
  return {
    records,
    async [Symbol.asyncDispose]() {
      await reset();
    },
  };
}

const reopened: LogReopenResult = {
  status: "reopened",
  renamed: true,
  message: "log file reopened: /x.log (a new file)",
};

function certificates(result: Partial<ReloadResult> & { status: ReloadResult["status"] }) {
  return {
    calls: 0,
    reload() {
      this.calls++;
      return Promise.resolve(
        { message: `certificates ${result.status}`, ...result } as ReloadResult,
      );
    },
  };
}

Deno.test("reloadOnce() logs one info line naming what changed", async () => {
  await using log = await recording();
  const outcome = await reloadOnce({
    certificates: certificates({ status: "swapped" }),
    logging: { reopen: () => Promise.resolve(reopened) },
    log: getLogger(["test"]),
  });
  assert.equal(outcome.warning, false);
  assert.equal(log.records.length, 1);
  assert.equal(log.records[0]!.level, "info");
  assert.equal(
    outcome.message,
    "reload on SIGHUP: certificates swapped; log file reopened: /x.log (a new file)",
  );
});

Deno.test("reloadOnce() warns when the certificate set is kept, and when either part throws", async () => {
  await using log = await recording();
  const kept = await reloadOnce({
    certificates: certificates({ status: "kept", message: "certificate reload refused: bad" }),
    logging: { reopen: () => Promise.resolve(reopened) },
    log: getLogger(["test"]),
  });
  assert.equal(kept.warning, true);
  assert.equal(log.records[0]!.level, "warning");
  const counters = { results: {} as Record<string, number>, logReopenFailures: 0 };
  const thrown = await reloadOnce({
    certificates: { reload: () => Promise.reject(new Error("disk gone")) },
    logging: { reopen: () => Promise.reject(new Error("no")) },
    log: getLogger(["test"]),
    counters,
  });
  assert.deepEqual(counters, { results: { failed: 1 }, logReopenFailures: 1 });
  assert.equal(thrown.certificates, "failed");
  assert.equal(thrown.logFile, "failed");
  assert.match(thrown.message, /the running set stays: disk gone/);
});

Deno.test("Reloader folds requests during a reload into one more, and calls the hooks in order", async () => {
  await using _log = await recording();
  const events: string[] = [];
  let release = () => {};
  const store = {
    calls: 0,
    async reload(): Promise<ReloadResult> {
      this.calls++;
      if (this.calls === 1) await new Promise<void>((resolve) => (release = resolve));
      return { status: "unchanged", message: "unchanged" };
    },
  };
  const reloader = new Reloader({
    certificates: store,
    logging: { reopen: () => Promise.resolve(reopened) },
    log: getLogger(["test"]),
    onStart: () => events.push("start"),
    onDone: () => events.push("done"),
  });
  const first = reloader.request();
  await new Promise((resolve) => setTimeout(resolve, 0));
  const second = reloader.request();
  const third = reloader.request();
  assert.equal(second, third);
  release();
  await Promise.all([first, second]);
  assert.equal(store.calls, 2);
  assert.deepEqual(events, ["start", "done", "start", "done"]);
});
