import assert from "node:assert/strict";
import {
  formatBenchReport,
  formatColumns,
  formatGbit,
  formatMemory,
  formatMs,
  formatRange,
  formatRatio,
  memoryCells,
  spreadCells,
  TABLE_COLUMNS,
  tableCells,
} from "../../tools/bench/table.ts";
import type { BenchReport, BenchRow, RowMeasurement } from "../../tools/bench/types.ts";

const MEM = { rssKiB: 85 * 1024, pssKiB: 50 * 1024 + 300, privateKiB: 5 * 1024 + 512 };

function rtt(medianMs: number, p99Ms: number, sent = 10, received = 10) {
  return { count: received, medianMs, p99Ms, sent, received, samplesMs: [] };
}

const TUNNEL: RowMeasurement = {
  seconds: 2,
  clientToServerBps: 1.234e9,
  serverToClientBps: 987e6,
  bytes: 5.5e8,
  rttIdle: rtt(0.512, 1.5),
  rttLoaded: rtt(23.45, 88.1, 10, 8),
  floodPing: { sent: 200, received: 200, avgMs: 0.3141 },
  processes: [
    {
      role: "server",
      pid: 10,
      command: "deno",
      cpuSeconds: 1,
      peakRssKiB: 250 * 1024,
      idle: MEM,
      loaded: MEM,
    },
    {
      role: "client",
      pid: 11,
      command: "deno",
      cpuSeconds: 1.2,
      peakRssKiB: 262 * 1024 + 100,
      idle: MEM,
      loaded: MEM,
    },
  ],
  cpuSeconds: 2.2,
  cpuSecondsPerGB: 4,
};

const ROWS: BenchRow[] = [
  {
    id: "sssonector-offload-on",
    label: "sssonector offload on",
    status: "ok",
    notes: ["TUN vnet_hdr (offloads) server off, client off"],
    measurement: TUNNEL,
    ratios: {
      clientToServer: 6.17,
      serverToClient: 12.34,
      rttIdleMedian: 1.9,
      rttLoadedMedian: null,
    },
  },
  {
    id: "openvpn-tcp",
    label: "openvpn-tcp",
    status: "skipped",
    notes: ["skipped: openvpn is not installed"],
    measurement: null,
    ratios: null,
  },
];

const REPORT: BenchReport = {
  schema: "sssonector-bench/2",
  date: "2026-11-25T04:10:00.000Z",
  machine: {
    nproc: 2,
    kernel: "6.18.44",
    cpuModel: "AMD EPYC",
    loadAverage: "0.50 0.40 0.30",
    deno: "2.9.6",
    sssonector: "0.1.0",
    openvpn: null,
  },
  settings: {
    quick: true,
    rounds: 1,
    throughputSeconds: 2,
    pingCount: 10,
    pingIntervalMs: 20,
    floodPingCount: 200,
    loadedPingDelayMs: 500,
    tunnelMtu: 1500,
  },
  baseline: "openvpn-tcp",
  rows: ROWS,
  spread: [],
  rounds: [ROWS],
};

Deno.test("formatColumns() aligns cells under a header and a rule, two spaces apart", () => {
  const text = formatColumns(
    [{ title: "name", align: "left" }, { title: "n" }],
    [["a", "1"], ["longer", "100"]],
  );
  assert.equal(
    text,
    ["name      n", "------  ---", "a         1", "longer  100"].join("\n"),
  );
});

Deno.test("formatColumns() pads short rows with empty cells and trims trailing spaces", () => {
  const text = formatColumns([{ title: "a", align: "left" }, { title: "b", align: "left" }], [[
    "x",
  ]]);
  assert.equal(text.split("\n")[2], "x");
});

Deno.test("number formats: Gbit/s with two decimals, ms by size, ratios with an x", () => {
  assert.equal(formatGbit(1.234e9), "1.23");
  assert.equal(formatGbit(NaN), "-");
  assert.equal(formatMs(0.0421), "0.042");
  assert.equal(formatMs(1.349), "1.35");
  assert.equal(formatMs(23.45), "23.4");
  assert.equal(formatMs(NaN), "-");
  assert.equal(formatRatio(2.345), "2.35x");
  assert.equal(formatRatio(12.34), "12.3x");
  assert.equal(formatRatio(0.12345), "0.12x");
  assert.equal(formatRatio(0.0031234), "0.0031x");
  assert.equal(formatRatio(0), "0x");
  assert.equal(formatRatio(null), "-");
  assert.equal(formatRatio(undefined), "-");
});

Deno.test("tableCells() shows a measured row with rss per role and ratios per direction", () => {
  assert.deepEqual(tableCells(ROWS[0]!), [
    "sssonector offload on",
    "1.23",
    "0.99",
    "0.512/1.50",
    "0.314",
    "23.4/88.1",
    "4.00",
    "250/262",
    "6.17x/12.3x",
    "1.90x/-",
  ]);
});

Deno.test("tableCells() shows an unmeasured row's status and dashes", () => {
  const cells = tableCells(ROWS[1]!);
  assert.equal(cells.length, TABLE_COLUMNS.length);
  assert.deepEqual(cells.slice(0, 3), ["openvpn-tcp", "skipped", "-"]);
});

Deno.test("tableCells() has no cpu or rss for a row without tunnel processes", () => {
  const cells = tableCells({
    ...ROWS[0]!,
    measurement: { ...TUNNEL, processes: [], cpuSeconds: null, cpuSecondsPerGB: null },
  });
  assert.equal(cells[6], "-");
  assert.equal(cells[7], "-");
});

Deno.test("tableCells() shows a dash for a row without a flood ping, or one with no reply", () => {
  const without = tableCells({ ...ROWS[0]!, measurement: { ...TUNNEL, floodPing: null } });
  assert.equal(without[4], "-");
  const unanswered = tableCells({
    ...ROWS[0]!,
    measurement: { ...TUNNEL, floodPing: { sent: 200, received: 0, avgMs: NaN } },
  });
  assert.equal(unanswered[4], "-");
});

Deno.test("formatBenchReport() prints machine, settings, every row and the notes", () => {
  const text = formatBenchReport(REPORT);
  assert.match(text, /^SSSonector benchmark \(quick\): 2026-11-25T04:10:00\.000Z$/m);
  assert.match(text, /nproc 2, kernel 6\.18\.44, AMD EPYC, load 0\.50 0\.40 0\.30/);
  assert.match(text, /iperf3 one TCP stream 2 s each way; 10 pings every 20 ms/);
  assert.match(text, /a flood ping \(ping -f\) of 200;/);
  assert.match(text, /^sssonector offload on +1\.23 /m);
  assert.match(text, /^openvpn-tcp +skipped /m);
  assert.match(text, /^note: openvpn-tcp: skipped: openvpn is not installed$/m);
  assert.match(text, /^note: sssonector offload on: TUN vnet_hdr/m);
  assert.match(text, /^note: sssonector offload on: 2 of 10 pings lost under load$/m);
  assert.match(text, /^note: openvpn-tcp was not measured: no ratios$/m);
});

Deno.test("formatBenchReport() lines up every table line to the same columns", () => {
  const lines = formatBenchReport(REPORT).split("\n");
  const header = lines.findIndex((line) => line.startsWith("row "));
  const rule = lines[header + 1]!;
  for (const line of lines.slice(header + 2, header + 4)) {
    for (const [i, char] of [...rule].entries()) {
      if (char === " " && rule[i - 1] === "-") assert.equal(line[i] ?? " ", " ");
    }
  }
});

Deno.test("formatBenchReport() prints RSS, PSS and private memory idle and loaded per end", () => {
  assert.equal(formatMemory(MEM), "85/50/5.5");
  assert.equal(formatMemory(undefined), "-");
  assert.deepEqual(memoryCells(REPORT), [
    ["sssonector offload on", "85/50/5.5", "85/50/5.5", "85/50/5.5", "85/50/5.5", "250/262"],
  ]);
  const text = formatBenchReport(REPORT);
  assert.match(text, /^memory MiB, rss\/pss\/private/m);
  assert.match(text, /^sssonector offload on +85\/50\/5\.5 +85\/50\/5\.5 .* 250\/262$/m);
});

Deno.test("formatRange() shows lowest..highest, or one value when the rounds agreed", () => {
  assert.equal(formatRange({ min: 7.81, median: 8.4, max: 9.123 }), "7.81x..9.12x");
  assert.equal(formatRange({ min: 2, median: 2, max: 2 }), "2.00x");
  assert.equal(formatRange(null), "-");
});

Deno.test("formatBenchReport() with rounds adds the spread of each ratio, without the baseline", () => {
  const range = (min: number, max: number) => ({ min, median: (min + max) / 2, max });
  const report: BenchReport = {
    ...REPORT,
    settings: { ...REPORT.settings, rounds: 3 },
    spread: [
      {
        id: "sssonector-offload-on",
        rounds: 3,
        clientToServer: range(7.5, 9.25),
        serverToClient: range(8, 8),
        rttIdleMedian: range(2.5, 3),
        rttLoadedMedian: null,
      },
      {
        id: "openvpn-tcp",
        rounds: 3,
        clientToServer: range(1, 1),
        serverToClient: range(1, 1),
        rttIdleMedian: range(1, 1),
        rttLoadedMedian: range(1, 1),
      },
    ],
  };
  assert.deepEqual(spreadCells(report), [
    ["sssonector offload on", "3", "7.50x..9.25x", "8.00x", "2.50x..3.00x", "-"],
  ]);
  const text = formatBenchReport(report);
  assert.match(text, /^rounds: 3, every row once per round/m);
  assert.match(text, /^ratio against openvpn-tcp in each round, lowest\.\.highest:$/m);
  assert.match(text, /^sssonector offload on +3 +7\.50x\.\.9\.25x +8\.00x/m);
  assert.doesNotMatch(formatBenchReport(REPORT), /lowest\.\.highest/);
});
