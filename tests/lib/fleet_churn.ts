/**
 * Helpers of the fleet end-to-end test: a seeded random source (so a failing churn can be run
 * again with the same moments), the churn loop of one client, and reading one series of the
 * server's /metrics.
 */
import type { FleetLab } from "../../tools/lab/fleet_lab.ts";

/**
 * A small seeded generator of numbers in [0, 1) (mulberry32): the same seed, the same sequence.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the churn loops did, summed over clients. */
export interface ChurnCounts {
  starts: number;
  /** Stops by SIGKILL: the server sees the connection end without a Close frame. */
  kills: number;
  /** Stops by SIGTERM: the client says Close(shutdown) first. */
  terms: number;
}

/** The longest a client stays up in one round of the churn, ms. */
export const CHURN_MAX_UP_MS = 4000;
/** The longest pause between two rounds, ms. */
export const CHURN_MAX_PAUSE_MS = 1000;

/**
 * Until `deadline` (performance.now()): start client `index`, let it run a random time of up to
 * CHURN_MAX_UP_MS (often less than it needs to connect: the server also sees connections end
 * mid-handshake), stop it by SIGTERM or, one time in four, SIGKILL, pause up to
 * CHURN_MAX_PAUSE_MS, again. The waits are the load's random moments, not waits for a state.
 */
export async function churnClient(
  lab: FleetLab,
  index: number,
  deadline: number,
  random: () => number,
  counts: ChurnCounts,
): Promise<void> {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  while (performance.now() < deadline) {
    const client = await lab.startClient(index);
    counts.starts++;
    await pause(100 + random() * (CHURN_MAX_UP_MS - 100));
    if (random() < 0.25) {
      counts.kills++;
      try {
        client.child.kill("SIGKILL");
      } catch {
        // it exited by itself
      }
      await client.child.status;
    } else {
      counts.terms++;
      await client.stop(5000);
    }
    await pause(random() * CHURN_MAX_PAUSE_MS);
  }
}

/** The value of one series (name with its labels, as written) in a /metrics text. */
export function metricValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no series ${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}
