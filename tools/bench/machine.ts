/** What the benchmark ran on, for the header of the table and the JSON. */
import { run } from "../lab/netns_lab.ts";
import { VERSION } from "../../src/base/version.ts";
import { readProcFile } from "./_proc.ts";
import type { MachineInfo } from "./types.ts";

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readProcFile(path);
  } catch {
    return null;
  }
}

export async function machineInfo(openvpn: string | null): Promise<MachineInfo> {
  let nproc = navigator.hardwareConcurrency;
  try {
    const counted = Number((await run("nproc", [])).stdout.trim());
    if (Number.isInteger(counted) && counted > 0) nproc = counted;
  } catch {
    // keep Deno's count
  }
  const cpuinfo = await readOrNull("/proc/cpuinfo");
  const loadavg = await readOrNull("/proc/loadavg");
  return {
    nproc,
    kernel: Deno.osRelease(),
    cpuModel: cpuinfo ? /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? null : null,
    loadAverage: loadavg ? loadavg.trim().split(/\s+/).slice(0, 3).join(" ") : null,
    deno: Deno.version.deno,
    sssonector: VERSION,
    openvpn,
  };
}
