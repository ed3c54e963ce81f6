/** Pure text rendering of a benchmark report: an aligned table with a header and notes. */
import type { MemorySample } from "./proc_stat.ts";
import type { BenchReport, BenchRow, RatioRange, RowSpread, RttResult } from "./types.ts";

export interface Column {
  readonly title: string;
  /** @default "right" */
  readonly align?: "left" | "right";
}

/**
 * Lays out cells in columns two spaces apart, with a rule under the header. A row shorter than
 * the header is padded with empty cells; trailing spaces are trimmed.
 */
export function formatColumns(columns: readonly Column[], rows: readonly string[][]): string {
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, ...rows.map((row) => (row[i] ?? "").length))
  );
  const line = (cells: readonly string[]) =>
    columns.map((column, i) => {
      const cell = cells[i] ?? "";
      return (column.align ?? "right") === "left"
        ? cell.padEnd(widths[i]!)
        : cell.padStart(widths[i]!);
    }).join("  ").trimEnd();
  return [
    line(columns.map((column) => column.title)),
    widths.map((width) => "-".repeat(width)).join("  "),
    ...rows.map(line),
  ].join("\n");
}

const MISSING = "-";

/** Bits per second as Gbit/s with two decimals. */
export function formatGbit(bitsPerSecond: number): string {
  return Number.isFinite(bitsPerSecond) ? (bitsPerSecond / 1e9).toFixed(2) : MISSING;
}

/** Milliseconds with three significant-ish digits: 0.042, 1.35, 23.4. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return MISSING;
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  return ms.toFixed(1);
}

/** A ratio as `0.0031x`, `2.35x` or `12.3x`; `-` when there is none. */
export function formatRatio(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  if (value === 0) return "0x";
  if (value < 1) return `${value.toPrecision(2)}x`;
  return value < 10 ? `${value.toFixed(2)}x` : `${value.toFixed(1)}x`;
}

function pair(a: string, b: string): string {
  return a === MISSING && b === MISSING ? MISSING : `${a}/${b}`;
}

function rtt(result: RttResult): string {
  return pair(formatMs(result.medianMs), formatMs(result.p99Ms));
}

export const TABLE_COLUMNS: readonly Column[] = [
  { title: "row", align: "left" },
  { title: "c->s Gbit/s" },
  { title: "s->c Gbit/s" },
  { title: "idle rtt ms med/p99" },
  { title: "flood ping ms avg" },
  { title: "load rtt ms med/p99" },
  { title: "cpu s/GB" },
  { title: "rss MiB srv/cli" },
  { title: "thr vs base c->s/s->c" },
  { title: "rtt vs base idle/load" },
];

/** One table line per row; unmeasured rows show their status and dashes. */
export function tableCells(row: BenchRow): string[] {
  const m = row.measurement;
  if (!m) return [row.label, row.status, ...Array<string>(TABLE_COLUMNS.length - 2).fill(MISSING)];
  const rss = (role: "server" | "client") => {
    const usage = m.processes.find((p) => p.role === role);
    return usage ? (usage.peakRssKiB / 1024).toFixed(0) : MISSING;
  };
  const r = row.ratios;
  return [
    row.label,
    formatGbit(m.clientToServerBps),
    formatGbit(m.serverToClientBps),
    rtt(m.rttIdle),
    m.floodPing && Number.isFinite(m.floodPing.avgMs) ? formatMs(m.floodPing.avgMs) : MISSING,
    rtt(m.rttLoaded),
    m.cpuSecondsPerGB === null ? MISSING : m.cpuSecondsPerGB.toFixed(2),
    pair(rss("server"), rss("client")),
    pair(formatRatio(r?.clientToServer), formatRatio(r?.serverToClient)),
    pair(formatRatio(r?.rttIdleMedian), formatRatio(r?.rttLoadedMedian)),
  ];
}

export const MEMORY_COLUMNS: readonly Column[] = [
  { title: "row", align: "left" },
  { title: "srv idle" },
  { title: "srv load" },
  { title: "cli idle" },
  { title: "cli load" },
  { title: "peak srv/cli" },
];

/** `rss/pss/private` in MiB, one decimal below 10. */
export function formatMemory(sample: MemorySample | undefined): string {
  if (!sample) return MISSING;
  const mib = (kib: number) => kib < 10 * 1024 ? (kib / 1024).toFixed(1) : (kib / 1024).toFixed(0);
  return `${mib(sample.rssKiB)}/${mib(sample.pssKiB)}/${mib(sample.privateKiB)}`;
}

/** The memory table: each measured row with tunnel processes, RSS/PSS/private idle and loaded. */
export function memoryCells(report: BenchReport): string[][] {
  return report.rows.filter((row) => (row.measurement?.processes.length ?? 0) > 0).map((row) => {
    const usage = (role: "server" | "client") =>
      row.measurement!.processes.find((p) => p.role === role);
    const peak = (role: "server" | "client") => {
      const kib = usage(role)?.peakRssKiB;
      return kib === undefined ? MISSING : (kib / 1024).toFixed(0);
    };
    return [
      row.label,
      formatMemory(usage("server")?.idle),
      formatMemory(usage("server")?.loaded),
      formatMemory(usage("client")?.idle),
      formatMemory(usage("client")?.loaded),
      pair(peak("server"), peak("client")),
    ];
  });
}

/** A ratio's range over the rounds, `2.10x..2.85x`; one value when it did not vary. */
export function formatRange(range: RatioRange | null): string {
  if (range === null) return MISSING;
  const low = formatRatio(range.min);
  const high = formatRatio(range.max);
  return low === high ? low : `${low}..${high}`;
}

export const SPREAD_COLUMNS: readonly Column[] = [
  { title: "row", align: "left" },
  { title: "rounds" },
  { title: "thr c->s" },
  { title: "thr s->c" },
  { title: "idle rtt" },
  { title: "load rtt" },
];

/** The spread table: each measured non-baseline row's per-round ratios, lowest..highest. */
export function spreadCells(report: BenchReport): string[][] {
  return report.spread
    .filter((spread: RowSpread) => spread.id !== report.baseline && spread.rounds > 0)
    .filter((spread) => spread.clientToServer !== null || spread.rttIdleMedian !== null)
    .map((spread) => [
      report.rows.find((row) => row.id === spread.id)?.label ?? spread.id,
      String(spread.rounds),
      formatRange(spread.clientToServer),
      formatRange(spread.serverToClient),
      formatRange(spread.rttIdleMedian),
      formatRange(spread.rttLoadedMedian),
    ]);
}

function lossNotes(row: BenchRow): string[] {
  const m = row.measurement;
  if (!m) return [];
  return ([["idle", m.rttIdle], ["under load", m.rttLoaded]] as const)
    .filter(([, result]) => result.received < result.sent)
    .map(([what, result]) =>
      `${row.label}: ${result.sent - result.received} of ${result.sent} pings lost ${what}`
    );
}

/** The whole printout: title, machine, settings, the table, then notes and a legend. */
export function formatBenchReport(report: BenchReport): string {
  const { machine, settings } = report;
  const baseline = report.rows.find((row) => row.id === report.baseline);
  const baselineLabel = baseline?.label ?? report.baseline;
  const notes = report.rows.flatMap((row) => [
    ...row.notes.map((note) => `${row.label}: ${note}`),
    ...lossNotes(row),
  ]);
  if (!baseline?.measurement) notes.push(`${baselineLabel} was not measured: no ratios`);
  const spread = settings.rounds > 1 ? spreadCells(report) : [];
  const memory = memoryCells(report);
  return [
    `SSSonector benchmark (${settings.quick ? "quick" : "full"}): ${report.date}`,
    `machine: nproc ${machine.nproc}, kernel ${machine.kernel}` +
    (machine.cpuModel ? `, ${machine.cpuModel}` : "") +
    (machine.loadAverage ? `, load ${machine.loadAverage}` : ""),
    `software: sssonector ${machine.sssonector}, deno ${machine.deno}` +
    (machine.openvpn ? `, ${machine.openvpn}` : ""),
    `method: iperf3 one TCP stream ${settings.throughputSeconds} s each way; ` +
    `${settings.pingCount} pings every ${settings.pingIntervalMs} ms idle and again ` +
    `${settings.loadedPingDelayMs} ms into the c->s transfer` +
    (settings.floodPingCount ? `; a flood ping (ping -f) of ${settings.floodPingCount}` : "") +
    `; tunnel MTU ${settings.tunnelMtu}`,
    settings.rounds > 1
      ? `rounds: ${settings.rounds}, every row once per round; the table shows median rates and ` +
        "CPU, all rounds' pings pooled, the highest RSS, and the median of per-round ratios"
      : "rounds: 1 (ratios from a single run; use --rounds N for their spread)",
    "",
    formatColumns(TABLE_COLUMNS, report.rows.map(tableCells)),
    "",
    ...(memory.length > 0
      ? [
        "memory MiB, rss/pss/private (private = Private_Clean + Private_Dirty of smaps_rollup); " +
        "idle: before the transfers, load: halfway through c->s" +
        (settings.rounds > 1 ? "; medians over the rounds, peak: highest VmHWM" : ""),
        formatColumns(MEMORY_COLUMNS, memory),
        "",
      ]
      : []),
    ...(spread.length > 0
      ? [
        `ratio against ${baselineLabel} in each round, lowest..highest:`,
        formatColumns(SPREAD_COLUMNS, spread),
        "",
      ]
      : []),
    `base = ${baselineLabel}; throughput ratio: times the base (higher is better); ` +
    "rtt ratio: median relative to the base (lower is better)",
    "cpu s/GB: server + client CPU seconds (user + system) per 10^9 bytes carried both ways",
    ...notes.map((note) => `note: ${note}`),
  ].join("\n");
}
