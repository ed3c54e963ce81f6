/** A session's counters, from its receiver's statistics, what it sent and what its lanes received. */
import { emptyDrops, type TrafficCounters } from "../counters/counters.ts";
import { WriteStat } from "../frame/receiver.ts";
import { type LaneReceived, RECEIVE_DROPS } from "./sparse_lane.ts";

/** Counters of one session, read through `Session.counters`. */
export interface SessionCounters extends TrafficCounters {
  /** Last measured keepalive round trip, in ms. */
  readonly rttMs: number | undefined;
}

/** What a session counted on its sending side. */
export interface SentCounts {
  packets: number;
  bytes: number;
  /** Packets dropped because the send queue was full. */
  congested: number;
  /** Keepalive frames dropped because the peer was not reading. */
  control: number;
}

/** The counters of a session whose receiver counted `stats` (WriteStat indexes). */
export function sessionCounters(
  stats: BigUint64Array,
  sent: SentCounts,
  extra: { lanes: LaneReceived; rttMs: number | undefined },
): SessionCounters {
  const drops = emptyDrops();
  drops.spoofed = Number(stats[WriteStat.DroppedSpoofed]);
  drops.malformed = Number(stats[WriteStat.DroppedMalformed]);
  drops.tunWrite = Number(stats[WriteStat.DroppedWriteError]);
  drops.destination = Number(stats[WriteStat.DroppedDestination]);
  drops.linkLocal = Number(stats[WriteStat.DroppedLinkLocal]);
  for (const kind of RECEIVE_DROPS) drops[kind] += extra.lanes.drops[kind];
  drops.congested = sent.congested;
  drops.control = sent.control;
  return {
    packetsIn: Number(stats[WriteStat.Packets]) + extra.lanes.packetsIn,
    bytesIn: Number(stats[WriteStat.Bytes]) + extra.lanes.bytesIn,
    packetsOut: sent.packets,
    bytesOut: sent.bytes,
    drops,
    rttMs: extra.rttMs,
  };
}
