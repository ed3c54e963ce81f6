/**
 * Pings that straddle an event: what the SIGHUP tests (reload_test.ts, registry_reload_test.ts)
 * use to show a reload drops no packet of a client that stays.
 */
import { parsePing, type PingStats } from "../../tools/lab/ping.ts";
import type { LabHost } from "../../tools/lab/netns_lab.ts";
import { type E2eLab, SERVER_TUNNEL_IP } from "./e2e_lab.ts";

/** How many pings, and how far apart: 3 s of them. */
export const PINGS_ACROSS = 60;

/**
 * Sends PINGS_ACROSS pings 50 ms apart from `host` to the server's tunnel address, runs `event`
 * one second in (in the middle of them), and waits for both: `event`'s value, and the pings'
 * figures with ping's output.
 */
export async function pingsAcross<T>(
  lab: E2eLab,
  host: LabHost,
  event: () => Promise<T>,
): Promise<{ value: T; pings: PingStats; output: string }> {
  const pinging = lab.net.try(host, "ping", [
    ...["-n", "-c", String(PINGS_ACROSS), "-i", "0.05", "-W", "1", SERVER_TUNNEL_IP],
  ]);
  let value: T;
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    value = await event();
  } finally {
    await pinging; // over within 4 s; never left running when `event` fails
  }
  const { stdout } = await pinging;
  return { value, pings: parsePing(stdout), output: stdout };
}
