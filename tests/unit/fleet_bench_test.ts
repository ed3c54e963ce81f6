import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/errors.ts";
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import { CloseCode, encodeClose, encodeHello } from "../../src/frame/control.ts";
import type { FleetReport } from "../../tools/bench/fleet.ts";
import { fleetSettings } from "../../tools/bench/fleet.ts";
import {
  busyShare,
  cpuSecondsPerGbit,
  iperfRetransmits,
  leastSquares,
  parseCpuTotals,
  settledValue,
} from "../../tools/bench/fleet_math.ts";
import { loadSourceRules, loadSources } from "../../tools/bench/fleet_sources.ts";
import { formatFleetReport } from "../../tools/bench/fleet_table.ts";
import { parseRssKiB } from "../../tools/bench/proc_stat.ts";
import { firstFrameVerdict, MAX_FAILURE_REASONS, runLoad } from "../../tools/bench/setup_load.ts";
import { parseToolCommandLine, toolUsageText } from "../../tools/cli.ts";

Deno.test("leastSquares() fits a line, and refuses points that do not make one", () => {
  assert.deepEqual(leastSquares([[1, 3], [2, 5], [3, 7]]), { slope: 2, intercept: 1 });
  const noisy = leastSquares([[1, 100], [10, 118], [25, 150], [50, 200]]);
  assert.ok(Math.abs(noisy.slope - 2.04) < 0.01, String(noisy.slope));
  assert.throws(() => leastSquares([[1, 2]]), /two distinct x values/);
  assert.throws(() => leastSquares([[3, 2], [3, 4]]), /two distinct x values/);
  assert.throws(() => leastSquares([[1, NaN], [2, 3]]), /finite/);
});

Deno.test("cpuSecondsPerGbit() divides CPU seconds by gigabits carried, and has no value for none", () => {
  // 1.25e9 bytes are 10 Gbit.
  assert.equal(cpuSecondsPerGbit(5, 1.25e9), 0.5);
  assert.equal(cpuSecondsPerGbit(5, 0), undefined);
});

Deno.test("settledValue() gives the median once the last samples stop moving", () => {
  assert.equal(settledValue([100, 200, 300], 4, 10), undefined, "too few samples");
  assert.equal(settledValue([100, 500, 301, 300, 302, 299], 4, 5), 300);
  assert.equal(settledValue([100, 500, 301, 300, 320, 299], 4, 5), undefined, "still moving");
  assert.equal(settledValue([5, 1, 9], 3, Infinity), 5);
});

Deno.test("parseCpuTotals() and busyShare() read the machine's busy share from /proc/stat", () => {
  const before = parseCpuTotals("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n");
  assert.deepEqual(before, { busy: 150, total: 1000 });
  const after = parseCpuTotals("cpu  400 0 50 900 50 0 0 0 0 0\n");
  assert.equal(busyShare(before, after), 0.75);
  assert.equal(busyShare(after, after), 0);
  assert.throws(() => parseCpuTotals("intr 1 2 3"), /Cannot parse the cpu line/);
});

Deno.test("iperfRetransmits() reads the sender's count, and 0 when the report has none", () => {
  assert.equal(iperfRetransmits('{"end":{"sum_sent":{"retransmits":7}}}'), 7);
  assert.equal(iperfRetransmits('{"end":{}}'), 0);
  assert.equal(iperfRetransmits("not json"), 0);
});

Deno.test("parseRssKiB() reads VmRSS, not VmHWM", () => {
  assert.equal(parseRssKiB("VmHWM:\t  9000 kB\nVmRSS:\t  8123 kB\n"), 8123);
  assert.throws(() => parseRssKiB("Name: kthreadd\n"), /VmRSS/);
});

Deno.test("firstFrameVerdict() waits for a whole frame, accepts a Hello, and throws the server's refusal", () => {
  const hello = encodeHello({
    protocol: 1,
    software: "x",
    address: "10.0.0.1/16",
    mtu: 1500,
    features: [],
  });
  assert.equal(firstFrameVerdict(hello.subarray(0, 3)), undefined);
  assert.equal(firstFrameVerdict(hello.subarray(0, hello.length - 1)), undefined);
  assert.equal(firstFrameVerdict(hello), true);
  assert.throws(
    () => firstFrameVerdict(encodeClose({ code: CloseCode.AddressInUse, message: "in use" })),
    /refused with Close\(3\): in use/,
  );
  assert.throws(
    () => firstFrameVerdict(encodeFrame(FrameType.Ping, new Uint8Array(8))),
    /first frame is of type 17, not Hello/,
  );
});

/** A clock the fake attempts move forward. */
function fakeClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

Deno.test("runLoad() never gives one identity to two attempts at once, and counts only after the warm-up", async () => {
  const clock = fakeClock();
  const inUse = new Set<number>();
  const uses = new Map<number, number>();
  let most = 0;
  const result = await runLoad([1, 2, 3, 4, 5], {
    concurrency: 3,
    warmupMs: 100,
    durationMs: 1000,
  }, async (id) => {
    assert.ok(!inUse.has(id), `identity ${id} in two attempts at once`);
    inUse.add(id);
    most = Math.max(most, inUse.size);
    uses.set(id, (uses.get(id) ?? 0) + 1);
    await Promise.resolve();
    clock.advance(10);
    await Promise.resolve();
    inUse.delete(id);
  }, clock.now);
  assert.equal(most, 3);
  // Every identity took turns, not just the first three.
  assert.deepEqual([...uses.keys()].sort(), [1, 2, 3, 4, 5]);
  assert.equal(result.failed, 0);
  assert.ok(
    result.completed > 0 && result.completed < result.totalCompleted,
    JSON.stringify(result),
  );
  assert.ok(result.seconds >= 1, String(result.seconds));
  assert.equal(result.perSecond, result.completed / result.seconds);
  assert.ok(result.medianMs >= 10, String(result.medianMs));
});

Deno.test("runLoad() counts failures by their first line, at most MAX_FAILURE_REASONS of them, then 'other'", async () => {
  const clock = fakeClock();
  let n = 0;
  const result = await runLoad([1, 2], { concurrency: 2, warmupMs: 0, durationMs: 100 }, () => {
    clock.advance(1);
    n++;
    return n % 2 === 0
      ? Promise.reject(new Error(`reason ${n}\nsecond line`))
      : Promise.reject(new Error("always the same"));
  }, clock.now);
  assert.equal(result.completed, 0);
  assert.ok(result.failed >= 50, String(result.failed));
  const reasons = Object.keys(result.failures);
  assert.equal(reasons.length, MAX_FAILURE_REASONS + 1);
  assert.ok(reasons.includes("other") && reasons.includes("always the same"), reasons.join());
  assert.ok(reasons.every((reason) => !reason.includes("second line")));
  assert.ok(Number.isNaN(result.medianMs));
});

Deno.test("runLoad() refuses more connections at once than there are identities, saying what to do", async () => {
  await assert.rejects(
    runLoad([1, 2], { concurrency: 3, warmupMs: 0, durationMs: 10 }, () => Promise.resolve()),
    /Concurrency 3 needs as many identities, and there are 2: issue more certificates/,
  );
});

const REPORT: FleetReport = {
  schema: "sssonector-bench-fleet/2",
  date: "2026-12-01T12:00:00.000Z",
  machine: {
    nproc: 2,
    kernel: "6.1",
    cpuModel: "AMD EPYC",
    loadAverage: "0.5 0.4 0.3",
    deno: "2.9.6",
    sssonector: "0.1.0",
    openvpn: null,
  },
  settings: fleetSettings(false),
  memory: {
    ok: {
      points: [
        { clients: 1, rssKiB: 85_000, settled: true },
        { clients: 50, rssKiB: 87_048, settled: false },
      ],
      kibPerClient: 41.8,
      interceptKiB: 84_958,
    },
  },
  throughput: {
    ok: [{
      clients: 4,
      aggregateBps: 2.5e9,
      minClientBps: 0.5e9,
      maxClientBps: 0.75e9,
      bytes: 3.1e9,
      serverCpuSeconds: 7.5,
      serverCores: 0.75,
      cpuSecondsPerGbit: 0.302,
      clientsCpuSeconds: 9.1,
      machineBusy: 0.97,
      retransmits: 3,
      meanPacketBytes: 60_000,
    }],
  },
  setups: { failed: "the load generator failed (exit 1): boom" },
  poolThroughput: { failed: "not measured" },
  poolSetups: { failed: "not measured" },
};

Deno.test("formatFleetReport() prints every measurement, or why it failed", () => {
  const text = formatFleetReport(REPORT);
  assert.match(text, /^SSSonector fleet benchmark \(full\): 2026-12-01T12:00:00\.000Z$/m);
  assert.match(text, /^ +1 +83\.0$/m);
  assert.match(text, /^ +50 +85\.0 \(still moving\)$/m);
  assert.match(text, /^slope: 42 KiB per idle client \(least squares\); 83\.0 MiB at 0 clients$/m);
  assert.match(
    text,
    /^ +4 +2\.50 +0\.50\.\.0\.75 +7\.5 +0\.75 +0\.302 +9\.1 +97% +3 +58\.6$/m,
  );
  assert.match(text, /^failed: the load generator failed \(exit 1\): boom$/m);
  assert.match(
    text,
    /^set-up load: from as many source addresses as identities \(300\), of 198\.19\.0\.0\/16/m,
  );
});

Deno.test("the tools' command line reads bench --fleet [--quick] and refuses --rounds with it", () => {
  assert.deepEqual(parseToolCommandLine(["bench", "--fleet"]), {
    kind: "bench",
    quick: false,
    fleet: true,
  });
  assert.deepEqual(parseToolCommandLine(["bench", "-fleet", "--quick"]), {
    kind: "bench",
    quick: true,
    fleet: true,
  });
  assert.throws(
    () => parseToolCommandLine(["bench", "--fleet", "--rounds", "2"]),
    (error: Error) =>
      error instanceof UsageError &&
      error.message === "--rounds is not used with --fleet: it measures each count once",
  );
  assert.throws(
    () => parseToolCommandLine(["demo", "--fleet"]),
    (error: Error) => error instanceof UsageError && /only used with bench/.test(error.message),
  );
  assert.match(toolUsageText(), /^ {2}\.\/sssonector bench --fleet \[--quick\]$/m);
});

Deno.test("loadSourceRules() gives each new connection to the servers the next source, in different /24s", () => {
  const sources = loadSources(300);
  assert.deepEqual(sources.slice(0, 3), ["198.19.0.1", "198.19.1.1", "198.19.2.1"]);
  assert.equal(sources[256], "198.19.0.2");
  assert.equal(new Set(sources.map((ip) => ip.split(".").slice(0, 3).join("."))).size, 256);
  const rules = loadSourceRules(sources.slice(0, 3), ["198.18.0.1", "198.18.255.254"], 443);
  assert.match(rules, /type nat hook postrouting priority srcnat;/);
  assert.match(
    rules,
    /ip daddr \{ 198\.18\.0\.1, 198\.18\.255\.254 \} tcp dport 443 snat to numgen inc mod 3 map \{ 0 : 198\.19\.0\.1, 1 : 198\.19\.1\.1, 2 : 198\.19\.2\.1 \}/,
  );
  assert.throws(() => loadSourceRules([], ["198.18.0.1"], 443), RangeError);
});
