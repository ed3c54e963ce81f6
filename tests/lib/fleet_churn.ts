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
  /** Rounds in which the client logged that it was connected before it was stopped. */
  connected: number;
  /** Stops by SIGKILL: the server sees the connection end without a Close frame. */
  kills: number;
  /** Stops by SIGTERM: the client says Close(shutdown) first. */
  terms: number;
}

/** The longest a client stays up once connected in one round of the churn, ms. */
export const CHURN_MAX_UP_MS = 2000;
/** The latest moment a client stopped early is stopped (often before it has connected), ms. */
export const CHURN_MAX_EARLY_MS = 1500;
/** The longest pause between two rounds, ms. */
export const CHURN_MAX_PAUSE_MS = 1000;

/**
 * Until `deadline` (performance.now()): start client `index`; one round in four stop it at a
 * random moment within CHURN_MAX_EARLY_MS, usually while it starts or shakes hands, else wait
 * until it has connected and stop it a random time of up to CHURN_MAX_UP_MS later; stop it by
 * SIGTERM or, one time in four, SIGKILL; pause up to CHURN_MAX_PAUSE_MS; again. The random waits
 * are the load's moments; waiting for the connection is polled (TunnelProcess.waitForLog), so a
 * slow machine gets as many sessions, only fewer rounds.
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
    if (random() < 0.25) {
      await pause(random() * CHURN_MAX_EARLY_MS);
    } else {
      await client.waitForLog(/connected to /, 30_000);
      counts.connected++;
      await pause(random() * CHURN_MAX_UP_MS);
    }
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
