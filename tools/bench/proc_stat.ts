/**
 * Pure parsers for the two /proc files the benchmark reads: `/proc/PID/stat` (CPU time, parent)
 * and `/proc/PID/status` (peak resident set). See proc(5).
 */

/** The fields of `/proc/PID/stat` that the benchmark uses. */
export interface ProcStat {
  readonly pid: number;
  /** Executable name as the kernel keeps it (at most 15 characters, may contain spaces). */
  readonly comm: string;
  /** One letter: R running, S sleeping, Z zombie, ... */
  readonly state: string;
  readonly ppid: number;
  /** User-mode CPU time of all threads, in clock ticks. */
  readonly utimeTicks: number;
  /** Kernel-mode CPU time of all threads, in clock ticks. */
  readonly stimeTicks: number;
}

/**
 * Parses one `/proc/PID/stat` line. The command name sits in parentheses and may itself contain
 * spaces or parentheses, so the fields after it are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) {
    throw new SyntaxError(`Cannot parse /proc stat line: "${text.slice(0, 80)}"`);
  }
  const pid = Number(text.slice(0, open).trim());
  // Fields 3 onwards (proc(5) numbering): state ppid pgrp session tty_nr tpgid flags minflt
  // cminflt majflt cmajflt utime stime ...
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const state = rest[0] ?? "";
  const numbers = [pid, ...[rest[1], rest[11], rest[12]].map((field) => Number(field ?? "x"))];
  if (
    !/^[A-Za-z]$/.test(state) || !(pid > 0) || numbers.some((n) => !Number.isInteger(n) || n < 0)
  ) {
    throw new SyntaxError(`Cannot parse /proc stat line: "${text.slice(0, 80)}"`);
  }
  return {
    pid,
    comm: text.slice(open + 1, close),
    state,
    ppid: numbers[1]!,
    utimeTicks: numbers[2]!,
    stimeTicks: numbers[3]!,
  };
}

/** CPU seconds (user + system) a process spent between two samples of its stat line. */
export function cpuSecondsBetween(
  before: ProcStat,
  after: ProcStat,
  ticksPerSecond: number,
): number {
  if (before.pid !== after.pid) {
    throw new RangeError(`Samples are of different processes: "${before.pid}" and "${after.pid}"`);
  }
  if (!(ticksPerSecond > 0)) {
    throw new RangeError(`Clock ticks per second must be positive: "${ticksPerSecond}"`);
  }
  const ticks = after.utimeTicks + after.stimeTicks - before.utimeTicks - before.stimeTicks;
  return ticks / ticksPerSecond;
}

/** The peak resident set size (`VmHWM`) from `/proc/PID/status`, in KiB. */
export function parsePeakRssKiB(status: string): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new SyntaxError("Cannot find VmHWM in /proc status: no such line");
  return Number(match[1]);
}

/** The resident set size (`VmRSS`) from `/proc/PID/status`, in KiB. */
export function parseRssKiB(status: string): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new SyntaxError("Cannot find VmRSS in /proc status: no such line");
  return Number(match[1]);
}

/** One process's memory at one moment, KiB (see proc(5), /proc/PID/smaps_rollup). */
export interface MemorySample {
  /** Resident set: every page mapped and in memory, shared ones counted whole. */
  readonly rssKiB: number;
  /** Proportional set: each shared page divided by the processes that map it. */
  readonly pssKiB: number;
  /** Unique set (USS): Private_Clean + Private_Dirty, what exiting would give back. */
  readonly privateKiB: number;
}

/** RSS, PSS and private memory from the text of `/proc/PID/smaps_rollup`. */
export function parseSmapsRollup(text: string): MemorySample {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(text);
    if (!match) throw new SyntaxError(`Cannot find ${name} in smaps_rollup: no such line`);
    return Number(match[1]);
  };
  return {
    rssKiB: field("Rss"),
    pssKiB: field("Pss"),
    privateKiB: field("Private_Clean") + field("Private_Dirty"),
  };
}
