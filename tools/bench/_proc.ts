/**
 * Reads /proc for the benchmark: CPU time, peak memory and which process is which. Deno grants
 * reads of other processes' /proc entries only with --allow-all, which the shipped permission
 * set does not have, so the files are read through `cat` (the run permission).
 */
import { LabError, run, runOk } from "../lab/netns_lab.ts";
import {
  type MemorySample,
  parsePeakRssKiB,
  parseProcStat,
  parseSmapsRollup,
  type ProcStat,
} from "./proc_stat.ts";

/** The text of a /proc file (or any file), read by `cat`. */
export async function readProcFile(path: string): Promise<string> {
  return await runOk("cat", [path]);
}

export async function readProcStat(pid: number): Promise<ProcStat> {
  return parseProcStat(await readProcFile(`/proc/${pid}/stat`));
}

export async function readPeakRssKiB(pid: number): Promise<number> {
  return parsePeakRssKiB(await readProcFile(`/proc/${pid}/status`));
}

/** RSS, PSS and private memory of a process now (/proc/PID/smaps_rollup). */
export async function readMemory(pid: number): Promise<MemorySample> {
  return parseSmapsRollup(await readProcFile(`/proc/${pid}/smaps_rollup`));
}

/** The kernel's clock ticks per second (USER_HZ) that /proc/PID/stat counts in; usually 100. */
export async function clockTicksPerSecond(): Promise<number> {
  try {
    const ticks = Number((await run("getconf", ["CLK_TCK"])).stdout.trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/**
 * The name (comm) of a running tunnel: the launcher, the bundle and the .deb exec Deno through a
 * link named sssonector, so ps, pidof and pkill see that name, and so do the tools.
 */
export const TUNNEL_COMM = "sssonector";

/**
 * The process that does the work behind a pid we spawned: `pid` itself when its name is
 * `comm` (as when `ip netns exec` and a launcher script each exec the next program), else the
 * first descendant of that name. Throws when there is none.
 */
export async function findProcess(pid: number, comm: string): Promise<ProcStat> {
  const self = await readProcStat(pid);
  if (self.comm === comm) return self;
  // Every process's stat line in one go; a process that exits meanwhile is just missing.
  const { stdout } = await run("sh", ["-c", "cat /proc/[0-9]*/stat 2>/dev/null"]);
  const all = stdout.split("\n").filter(Boolean).flatMap((line) => {
    try {
      return [parseProcStat(line)];
    } catch {
      return [];
    }
  });
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const child of all.filter((stat) => stat.ppid === parent)) {
      if (child.comm === comm) return child;
      queue.push(child.pid);
    }
  }
  throw new LabError(`Process ${pid} is "${self.comm}", and no descendant of it is "${comm}"`);
}
