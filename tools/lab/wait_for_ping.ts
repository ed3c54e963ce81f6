/** Readiness by polling: a tunnel is up when a ping crosses it, not after a fixed sleep. */
import { LabError, type LabHost, type NetnsLab } from "./netns_lab.ts";

export interface WaitForPingOptions {
  /** @default 30_000 */
  readonly timeoutMs?: number;
  /** Returns why waiting is pointless (a process died), or undefined to keep polling. */
  readonly gaveUp?: () => string | undefined;
}

/** Pings `toIp` from `from` once per attempt until a reply comes; returns the ms it took. */
export async function waitForPing(
  lab: NetnsLab,
  from: LabHost,
  toIp: string,
  options: WaitForPingOptions = {},
): Promise<number> {
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    const result = await lab.try(from, "ping", ["-c", "1", "-W", "1", toIp]);
    if (result.code === 0) return Date.now() - started;
    const reason = options.gaveUp?.();
    if (reason) throw new LabError(`no ping reply from ${toIp}: ${reason}`);
    // "Network is unreachable" returns at once while the device is not up yet.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new LabError(`no ping reply from ${toIp} within ${options.timeoutMs ?? 30_000} ms`);
}

/**
 * A `gaveUp` for waitForPing over named processes: once one has exited, says which and how
 * ("the server exited with code 1"); until then undefined.
 */
export function firstExit(
  processes: Readonly<Record<string, Promise<Deno.CommandStatus>>>,
): () => string | undefined {
  const exited: string[] = [];
  for (const [name, status] of Object.entries(processes)) {
    status.then(({ code }) => exited.push(`the ${name} exited with code ${code}`));
  }
  return () => exited[0];
}
