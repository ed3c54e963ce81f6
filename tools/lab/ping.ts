/** Ping round trips through the lab, and the output of iputils ping parsed. */
import type { LabHost, NetnsLab } from "./netns_lab.ts";

export interface PingStats {
  readonly sent: number;
  readonly received: number;
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
  /** Every reply's round trip, in order. */
  readonly samplesMs: readonly number[];
}

/** Parses the output of iputils ping. */
export function parsePing(output: string): PingStats {
  const counts = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  const samplesMs = [...output.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  const summary = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(output);
  return {
    sent: counts ? Number(counts[1]) : 0,
    received: counts ? Number(counts[2]) : 0,
    minMs: summary ? Number(summary[1]) : NaN,
    avgMs: summary ? Number(summary[2]) : NaN,
    maxMs: summary ? Number(summary[3]) : NaN,
    samplesMs,
  };
}

/**
 * A flood ping (`ping -f`, root): the next request leaves as soon as the reply is in (or 10 ms
 * later), so the average is the round trip of back-to-back single packets, without the wake-ups
 * an idle ping pays. Bounded by `count` and by a deadline of 30 s.
 */
export async function measureFloodPing(
  lab: NetnsLab,
  from: LabHost,
  to: string,
  count: number,
): Promise<PingStats> {
  const result = await lab.try(from, "ping", [
    "-f",
    "-c",
    String(count),
    "-W",
    "1",
    "-w",
    "30",
    to,
  ]);
  return parsePing(result.stdout);
}

export async function measurePing(
  lab: NetnsLab,
  from: LabHost,
  to: string,
  count: number,
  intervalS = 0.2,
): Promise<PingStats> {
  const result = await lab.try(from, "ping", [
    "-c",
    String(count),
    "-i",
    String(intervalS),
    "-W",
    "2",
    to,
  ]);
  return parsePing(result.stdout);
}
