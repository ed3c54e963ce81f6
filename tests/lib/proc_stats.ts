/** What /proc says about a live process: resident memory, CPU time, open descriptors. */

/** Resident set size in MiB (VmRSS). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]);
  return kb / 1024;
}

/** User plus system CPU seconds used so far (all threads). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Open file descriptors. */
export async function openFds(pid: number): Promise<number> {
  let count = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) count++;
  return count;
}

/** Resident memory by kind from /proc/PID/smaps_rollup, in MiB: anonymous (heaps) and file-backed. */
export async function residentKinds(pid: number): Promise<{ anonymous: number; file: number }> {
  const text = await Deno.readTextFile(`/proc/${pid}/smaps_rollup`);
  const kb = (key: string) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1]);
  const anonymous = kb("Anonymous") / 1024;
  return { anonymous, file: kb("Rss") / 1024 - anonymous };
}
