/**
 * The report of `bench --sessions` (tools/bench/sessions_bench.ts): what one server costs with
 * more and more idle sessions, as data and as text. Pure: no I/O.
 *
 * @module
 */

import { formatColumns } from "./table.ts";
import { leastSquares } from "./fleet_math.ts";
import type { MemorySample } from "./proc_stat.ts";
import type { MachineInfo } from "./types.ts";

/** The server with `sessions` idle sessions up. */
export interface SessionLevel {
  /** Sessions up when the level was measured (the generator's count). */
  readonly sessions: number;
  /** The server's memory at the end of the idle window. */
  readonly memory: MemorySample;
  /** The server's open descriptors then. */
  readonly fds: number;
  /** The server's CPU over the idle window, percent of one core. */
  readonly cpuPercent: number;
  /** The generator's CPU over the same window, percent of one core (it shares the machine). */
  readonly generatorCpuPercent: number;
  /** Keepalive round trips the generator measured in the window (its Pings, the server's Pongs). */
  readonly rtt: { readonly samples: number; readonly medianMs: number; readonly p99Ms: number };
  /** Set-ups that brought the server from the last level to this one; null for the first. */
  readonly setups: {
    readonly opened: number;
    readonly failed: number;
    readonly perSecond: number;
    readonly medianMs: number;
    readonly p99Ms: number;
    readonly failures: Readonly<Record<string, number>>;
  } | null;
  /** One more client alone, once the level was measured: ms from connect to the server's Hello. */
  readonly admissionMs: readonly number[];
  /** Sessions the server had ended by the end of the window (since the start). */
  readonly lost: number;
}

export interface SessionsReport {
  readonly schema: "sssonector-bench-sessions/1";
  readonly date: string;
  readonly machine: MachineInfo;
  readonly settings: {
    readonly quick: boolean;
    readonly target: number;
    readonly windowSeconds: number;
    readonly concurrency: number;
    readonly keepaliveSeconds: number;
    readonly sourceAddresses: number;
  };
  /** The server with no session first, then each level. */
  readonly levels: readonly SessionLevel[];
  /** Least-squares slope of RSS over sessions (all levels), KiB per session; null below 2. */
  readonly rssKiBPerSession: number | null;
  /** The same for private memory. */
  readonly privateKiBPerSession: number | null;
  readonly notes: readonly string[];
}

/** The session counts measured for a target: a tenth, a quarter, half and all of it. */
export function sessionLevels(target: number): number[] {
  const levels = [0.1, 0.25, 0.5, 1].map((share) => Math.max(1, Math.round(target * share)));
  return [...new Set(levels)];
}

/** KiB per session from (sessions, KiB) points; null with fewer than two distinct counts. */
export function kibPerSession(points: readonly (readonly [number, number])[]): number | null {
  if (new Set(points.map(([sessions]) => sessions)).size < 2) return null;
  return leastSquares(points).slope;
}

const mib = (kib: number) => (kib / 1024).toFixed(0);
const ms = (value: number) =>
  Number.isFinite(value) ? (value < 10 ? value.toFixed(2) : value.toFixed(0)) : "-";

/** One line of the table per level. */
export function levelCells(level: SessionLevel): string[] {
  const admission = level.admissionMs.length > 0 ? Math.max(...level.admissionMs) : NaN;
  return [
    String(level.sessions),
    `${mib(level.memory.rssKiB)}/${mib(level.memory.pssKiB)}/${mib(level.memory.privateKiB)}`,
    String(level.fds),
    level.cpuPercent.toFixed(1),
    level.generatorCpuPercent.toFixed(1),
    level.rtt.samples > 0 ? `${ms(level.rtt.medianMs)}/${ms(level.rtt.p99Ms)}` : "-",
    level.setups ? level.setups.perSecond.toFixed(0) : "-",
    level.setups ? `${ms(level.setups.medianMs)}/${ms(level.setups.p99Ms)}` : "-",
    ms(admission),
    String(level.lost),
  ];
}

export const SESSION_COLUMNS = [
  { title: "sessions" },
  { title: "srv MiB rss/pss/priv" },
  { title: "fds" },
  { title: "srv cpu %" },
  { title: "gen cpu %" },
  { title: "keepalive rtt ms med/p99" },
  { title: "set-ups/s" },
  { title: "set-up ms med/p99" },
  { title: "admit ms" },
  { title: "lost" },
] as const;

export function formatSessionsReport(report: SessionsReport): string {
  const { machine, settings } = report;
  const slope = (value: number | null) => value === null ? "-" : value.toFixed(1);
  const failures = report.levels.flatMap((level) =>
    Object.entries(level.setups?.failures ?? {}).map(([reason, count]) =>
      `note: ${count} set-up(s) failed on the way to ${level.sessions}: ${reason}`
    )
  );
  return [
    `SSSonector sessions benchmark (${settings.quick ? "quick" : "full"}): ${report.date}`,
    `machine: nproc ${machine.nproc}, kernel ${machine.kernel}` +
    (machine.loadAverage ? `, load ${machine.loadAverage}` : "") +
    `; sssonector ${machine.sssonector}, deno ${machine.deno}`,
    `method: one server, idle sessions from a protocol-level generator (mutual TLS, Hello, ` +
    `keepalive every ${settings.keepaliveSeconds} s both ways) in another namespace, ` +
    `${settings.sourceAddresses} source addresses, ${settings.concurrency} set-ups at once; ` +
    `each level held ${settings.windowSeconds} s idle, then one more client timed alone`,
    "",
    formatColumns(SESSION_COLUMNS, report.levels.map(levelCells)),
    "",
    `per session: RSS ${slope(report.rssKiBPerSession)} KiB, private ` +
    `${slope(report.privateKiBPerSession)} KiB (least squares over every level)`,
    "srv cpu: the server's CPU over the idle window (keepalives only), percent of one core; " +
    "gen cpu: the generator's, which shares the machine",
    "admit ms: the slowest of the level's timed new clients, connect to the server's Hello",
    ...failures,
    ...report.notes.map((note) => `note: ${note}`),
  ].join("\n");
}
