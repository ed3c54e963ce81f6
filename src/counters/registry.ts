import {
  addTraffic,
  emptyProcessCounters,
  emptyTraffic,
  type ProcessCounters,
  type TrafficCounters,
} from "./counters.ts";

/** A live session as reports show it. */
export interface SessionView {
  /** Common name of the peer's certificate. */
  readonly peerName: string;
  /** The peer's tunnel address(es), once the Hello exchange is done. */
  readonly tunnelAddress: string | undefined;
  /** Networks routed to the peer (a server's registered client), e.g. `192.168.10.0/24`. */
  readonly routes?: readonly string[];
  /** The peer's host:port. */
  readonly remote: string;
  /** When the connection was authenticated (ms since the epoch). */
  readonly since: number;
  /** Last keepalive round trip. */
  readonly rttMs: number | undefined;
  /** Bytes queued for this peer and not yet written. */
  readonly queuedBytes: number;
  readonly traffic: TrafficCounters;
  /** The carrier TCP connection's health (TCP_INFO), when its socket is within reach. */
  readonly carrier?: CarrierView;
  /** The send queue's AQM. */
  readonly aqm?: AqmView;
  /** The session's sparse lane (src/session/sparse_lane.ts). */
  readonly lane?: LaneView;
}

/** A session's sparse lane: whether one is up, and what lanes carried over the session's life. */
export interface LaneView {
  readonly up: boolean;
  /** Lanes attached to the session (a lane re-opened after one died counts again). */
  readonly opened: number;
  /** Sparse packets, and their frame bytes, sent on lanes. */
  readonly packetsOut: number;
  readonly bytesOut: number;
  /** Batches of sparse packets a lane refused (it lagged or was full): sent on the main connection. */
  readonly fallbacks: number;
}

/** A session's carrier connection as TCP_INFO describes it. */
export interface CarrierView {
  readonly congestionControl: string | undefined;
  /** Smoothed round trip and its variation, ms. */
  readonly srttMs: number;
  readonly rttvarMs: number;
  /** Segments retransmitted over the connection's life. */
  readonly retransmits: number;
  /** Congestion window, segments. */
  readonly cwnd: number;
  /** Last delivery rate sample, bits per second. */
  readonly deliveryRateBps: number;
  /** Bytes in the kernel never sent yet. */
  readonly notsentBytes: number;
}

/** What a session's send queue AQM did. */
export interface AqmView {
  /** How long the last packet sent had waited in the queue, ms. */
  readonly sojournMs: number;
  /** Packets dropped for standing too long, and ECN-capable ones marked instead. */
  readonly dropped: number;
  readonly marked: number;
}

/** One certificate name's totals over every session it had, live ones included. */
export interface PeerView {
  readonly name: string;
  readonly liveSessions: number;
  /** Sessions this name has had since the process started. */
  readonly sessions: number;
  readonly traffic: TrafficCounters;
}

export interface CountersSnapshot {
  /** ms since the epoch. */
  readonly takenAt: number;
  readonly process: ProcessCounters;
  readonly sessions: readonly SessionView[];
  readonly peers: readonly PeerView[];
}

/** What the registry needs of a live session: a way to read it. */
export type SessionReader = () => SessionView;

interface PeerRecord {
  sessions: number;
  /** Totals of the sessions that have ended. */
  ended: TrafficCounters;
  live: Set<SessionReader>;
}

/**
 * Every counter of one tunnel process. Created once by main and passed down; sessions register
 * while they live, and their totals are folded into their certificate name's record when they end,
 * so per-peer counters only ever grow across reconnects. Memory: one small record per certificate
 * name ever authenticated (names come from certificates our CA issued), plus one per live session.
 */
export class CounterRegistry {
  readonly process: ProcessCounters = emptyProcessCounters();
  #peers = new Map<string, PeerRecord>();

  /**
   * Registers a live session of `name`; returns the function to call once when it ends, which
   * folds its final counters into the name's totals.
   */
  track(name: string, read: SessionReader): () => void {
    let record = this.#peers.get(name);
    if (!record) {
      this.#peers.set(name, record = { sessions: 0, ended: emptyTraffic(), live: new Set() });
    }
    record.sessions++;
    record.live.add(read);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      record.live.delete(read);
      addTraffic(record.ended, read().traffic);
    };
  }

  /** A deep copy of every counter now; later changes do not show in it. */
  snapshot(now = Date.now()): CountersSnapshot {
    const sessions: SessionView[] = [];
    const peers: PeerView[] = [];
    for (const [name, record] of this.#peers) {
      const traffic = emptyTraffic();
      addTraffic(traffic, record.ended);
      for (const read of record.live) {
        const view = read();
        sessions.push({ ...view, traffic: copyTraffic(view.traffic) });
        addTraffic(traffic, view.traffic);
      }
      peers.push({ name, liveSessions: record.live.size, sessions: record.sessions, traffic });
    }
    return { takenAt: now, process: structuredClone(this.process), sessions, peers };
  }
}

function copyTraffic(traffic: Readonly<TrafficCounters>): TrafficCounters {
  const copy = emptyTraffic();
  addTraffic(copy, traffic);
  return copy;
}
