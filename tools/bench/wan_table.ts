/** Pure text rendering of a `bench --wan` report: one table, a block of rows per path. */
import { percentile } from "./percentile.ts";
import { type Column, formatColumns, formatMs } from "./table.ts";
import type { RowMeasurement } from "./types.ts";
import type { RelayCounters, WanProfile } from "../lab/wan_link.ts";
import { UDP_ROWS, WAN_ROW_LABELS, type WanRowResult } from "./wan_rows.ts";

export interface WanPathResult {
  readonly profile: WanProfile;
  readonly rows: readonly WanRowResult[];
  /** What the relay did over the whole block (both directions). */
  readonly relay: readonly RelayCounters[];
}

export interface WanReport {
  readonly schema: "sssonector-bench-wan/1";
  readonly date: string;
  readonly machine: string;
  readonly seconds: number;
  readonly pingCount: number;
  readonly pingIntervalMs: number;
  readonly loadedPingDelayMs: number;
  readonly paths: readonly WanPathResult[];
}

/** How long before a transfer's end the loaded pings stop: the queue is still full then. */
export const PING_END_MARGIN_MS = 500;

/**
 * How many pings, `intervalMs` apart from `delayMs` into a transfer of `seconds`, fit before its
 * last PING_END_MARGIN_MS (at most `most`): the loaded pings must all see the load. With 5 s
 * transfers (`--quick`) 100 pings from 2 s on ran until 7 s, the last 40 % over an idle path.
 */
export function loadedPingCount(
  seconds: number,
  delayMs: number,
  intervalMs: number,
  most = 100,
): number {
  const fit = Math.floor((seconds * 1000 - delayMs - PING_END_MARGIN_MS) / intervalMs);
  return Math.max(1, Math.min(most, fit));
}

/** Median and 95th percentile of the loaded pings; NaN without replies. */
export function loadedRtt(m: RowMeasurement): { median: number; p95: number } {
  const samples = m.rttLoaded.samplesMs;
  return { median: percentile(samples, 50), p95: percentile(samples, 95) };
}

/**
 * The best UDP tunnel of a path: the one with the lowest median round trip under load, with its
 * median and its throughput (the lower of the two directions); undefined when none was measured.
 */
export function bestUdp(
  rows: readonly WanRowResult[],
): { id: string; rttMs: number; bps: number } | undefined {
  let best: { id: string; rttMs: number; bps: number } | undefined;
  for (const row of rows) {
    if (!UDP_ROWS.includes(row.id) || !row.measurement) continue;
    const rttMs = loadedRtt(row.measurement).median;
    const bps = Math.min(row.measurement.clientToServerBps, row.measurement.serverToClientBps);
    if (Number.isFinite(rttMs) && (!best || rttMs < best.rttMs)) best = { id: row.id, rttMs, bps };
  }
  return best;
}

export const WAN_COLUMNS: readonly Column[] = [
  { title: "path", align: "left" },
  { title: "tunnel", align: "left" },
  { title: "c->s Mbit/s" },
  { title: "s->c Mbit/s" },
  { title: "idle rtt ms" },
  { title: "load rtt ms med/p95" },
  { title: "vs best udp: load rtt, thr" },
];

const mbit = (bps: number) => Number.isFinite(bps) ? (bps / 1e6).toFixed(0) : "-";

/** The table lines of one path. */
export function wanCells(path: WanPathResult): string[][] {
  const best = bestUdp(path.rows);
  return path.rows.map((row, i) => {
    const name = i === 0 ? path.profile.name : "";
    const label = WAN_ROW_LABELS[row.id];
    const m = row.measurement;
    if (!m) return [name, label, row.status, "-", "-", "-", "-"];
    const loaded = loadedRtt(m);
    const thr = Math.min(m.clientToServerBps, m.serverToClientBps);
    const versus = best && Number.isFinite(loaded.median)
      ? `${(loaded.median / best.rttMs).toFixed(2)}x, ${(100 * thr / best.bps).toFixed(0)} %`
      : "-";
    return [
      name,
      label,
      mbit(m.clientToServerBps),
      mbit(m.serverToClientBps),
      formatMs(m.rttIdle.medianMs),
      `${formatMs(loaded.median)}/${formatMs(loaded.p95)}`,
      versus,
    ];
  });
}

function relayNote(path: WanPathResult): string {
  const sum = (key: "relayed" | "lost" | "queueFull" | "ringFull" | "sendFailed") =>
    path.relay.reduce((total, counters) => total + counters[key], 0);
  return `${path.profile.name}: relay passed ${sum("relayed")} frames, lost ${sum("lost")} at ` +
    `random, ${sum("queueFull")} at the full bottleneck queue` +
    (sum("ringFull") + sum("sendFailed") > 0
      ? `, ${sum("ringFull")} ring full, ${sum("sendFailed")} send failures (emulator limits)`
      : "");
}

/** The whole printout: method, the table, then notes. */
export function formatWanReport(report: WanReport): string {
  const notes = report.paths.flatMap((path) => [
    relayNote(path),
    ...path.rows.flatMap((row) =>
      row.notes.map((note) => `${path.profile.name} ${row.id}: ${note}`)
    ),
  ]);
  return [
    `SSSonector across an emulated WAN: ${report.date}`,
    `machine: ${report.machine}`,
    `method: iperf3 one TCP stream ${report.seconds} s each way; ${report.pingCount} pings every ` +
    `${report.pingIntervalMs} ms idle and again ${report.loadedPingDelayMs} ms into the c->s ` +
    "transfer; path = round trip, random loss each way, bottleneck each way (30 ms drop-tail)",
    "",
    formatColumns(WAN_COLUMNS, report.paths.flatMap(wanCells)),
    "",
    "vs best udp: median rtt under load against the UDP tunnel with the lowest one, and the lower " +
    "direction's throughput as a share of that tunnel's",
    ...notes.map((note) => `note: ${note}`),
  ].join("\n");
}
