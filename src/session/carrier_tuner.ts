/**
 * Sizes the two buffers between a session's AQM and the wire from what the carrier delivers, so
 * that neither holds more than a couple of milliseconds at any rate: the bytes the kernel keeps
 * unsent (TCP_NOTSENT_LOWAT) and the bytes handed to TLS whose writes have not completed (the
 * send queue's write window). Everything beyond them waits in the send queue, where CoDel sees it.
 */
import { CarrierSocket, type TcpEndpoints, type TcpHealth } from "../transport/carrier_socket.ts";
import type { CarrierPolicy } from "../transport/congestion_control.ts";
import type { AqmView, CarrierView } from "../counters/registry.ts";
import type { AqmCounters } from "./send_queue.ts";
import { PacingCap } from "./pacing_cap.ts";
import { sharedTicker } from "./shared_ticker.ts";

/** How often a busy session re-reads its carrier's TCP_INFO and re-sizes its buffers. */
export const CARRIER_TICK_MS = 100;
/** How often an idle one is looked at (its counts compared, not its socket read). */
export const IDLE_CHECK_MS = 1000;
/** Every how many idle checks an idle session reads anyway (its health in reports this fresh). */
export const IDLE_READ_CHECKS = 1;
/**
 * The same when the bytes read from the connection are known too (a server's TLS sockets): any
 * byte that arrives brings a read at the next check, so a quiet one is read every 10 s, when its
 * keepalive moves bytes anyway.
 */
export const QUIET_KNOWN_READ_CHECKS = 10;

const busyTicker = sharedTicker(CARRIER_TICK_MS);
const idleTicker = sharedTicker(IDLE_CHECK_MS);

/**
 * When a tuner reads its socket. Two tiers, so that idle sessions cost nothing per 100 ms: with
 * 10,000 idle sessions, looking at each every 100 ms was 100,000 calls a second, a quarter of a
 * core (perf, bench --sessions 10000). A session is busy from its first data sent (`touch`) until a
 * busy tick finds nothing more sent; busy, it is read every tick. Idle, it is looked at every
 * IDLE_CHECK_MS: read when its counts (bytes sent, and bytes received where known) moved, else
 * every `readChecks` checks. Pure: the tuner calls it and does what it says.
 */
export class ReadSchedule {
  readonly readChecks: number;
  #busy = false;
  #sent: number;
  #received: number | undefined;
  #checks = 0;

  constructor(sent: number, received: number | undefined, readChecks: number) {
    this.#sent = sent;
    this.#received = received;
    this.readChecks = readChecks;
  }

  get busy(): boolean {
    return this.#busy;
  }

  /** Data was sent: true when the session just became busy (start the busy ticks). */
  touch(): boolean {
    if (this.#busy) return false;
    this.#busy = true;
    return true;
  }

  /** A busy tick: "read", or "idle" (nothing sent since the last: back to idle checks). */
  busyTick(sent: number): "read" | "idle" {
    if (sent !== this.#sent) {
      this.#sent = sent;
      return "read";
    }
    this.#busy = false;
    return "idle";
  }

  /** An idle check with the counts now: whether to read. */
  idleCheck(sent: number, received: number | undefined): boolean {
    if (this.#busy) return false;
    const moved = sent !== this.#sent || received !== this.#received;
    this.#sent = sent;
    this.#received = received;
    if (!moved && ++this.#checks < this.readChecks) return false;
    this.#checks = 0;
    return true;
  }
}

/**
 * TCP_USER_TIMEOUT of every carrier: a connection whose sent data stays unacknowledged this long
 * is given up (a dead path), well before the keepalive timeout would notice.
 */
export const CARRIER_USER_TIMEOUT_MS = 10_000;

/** How long, at the carrier's rate, each of the two buffers may hold. @default 2 ms */
export const BUFFER_TIME_MS = 2;
/** The smallest unsent allowance (a few segments: below it the carrier would starve). */
export const MIN_NOTSENT_LOWAT = 16 * 1024;
/** The smallest write window (two TLS records). */
export const MIN_WRITE_WINDOW = 32 * 1024;
/** The largest of either: 4 MiB, 2 ms at 16 Gbit/s. */
export const MAX_BUFFER = 4 * 1024 * 1024;

/** The two sizes for a carrier that delivers `rateBps` bits per second. */
export function carrierBuffers(rateBps: number): { notsentLowat: number; writeWindow: number } {
  const bytes = Number.isFinite(rateBps) && rateBps > 0 ? (rateBps / 8) * BUFFER_TIME_MS / 1000 : 0;
  const clamp = (min: number) => Math.round(Math.min(MAX_BUFFER, Math.max(min, bytes)));
  return { notsentLowat: clamp(MIN_NOTSENT_LOWAT), writeWindow: clamp(MIN_WRITE_WINDOW) };
}

/** What the tuner adjusts besides the socket. */
export interface WriteWindow {
  writeWindowBytes: number;
}

/** Re-sizes both buffers from the carrier's TCP_INFO; the session calls tick() periodically. */
/**
 * A sparse lane's minimum retransmission timeout: a lost ping segment is sent again after about
 * its round trip plus this, instead of the 200 ms the kernel waits at least by default.
 * @default 10 ms
 */
export const LANE_RTO_MIN_MS = 10;

export class CarrierTuner {
  /** The congestion control the carrier uses (read back once set). */
  readonly congestionControl: string | undefined;
  #socket: CarrierSocket;
  #queue: WriteWindow;
  #lowat = 0;
  #health: TcpHealth | undefined;
  /** Keeps the bottleneck's queue short (pacing_cap.ts); none on a sparse lane. */
  #pacing: PacingCap | undefined = new PacingCap();

  constructor(socket: CarrierSocket, queue: WriteWindow, congestionControl?: string) {
    this.#socket = socket;
    this.#queue = queue;
    if (congestionControl) socket.setCongestionControl(congestionControl);
    this.congestionControl = socket.congestionControl();
  }

  /** Tunes the carrier as a thin stream (a sparse lane): LANE_RTO_MIN_MS, linear timeouts. */
  thinStream(): void {
    this.#socket.setThinStream(LANE_RTO_MIN_MS * 1000);
    if (this.#pacing && this.#pacing.capBps > 0) this.#socket.setMaxPacingRate(0);
    this.#pacing = undefined;
  }

  /**
   * The tuner of a session's carrier, read on the ReadSchedule: every CARRIER_TICK_MS while the
   * session sends (the caller calls `touch` whenever it sends data), else when `counts` moved at an
   * idle check or every `readChecks` checks; undefined when the socket is out of reach (no shim,
   * endpoints unknown). The caller calls `stop` when the session ends.
   * `onAddressGone`, when given, is told once the connection's local address has left every
   * interface (a client that moved; a server leaves it out: its address is the one it listens on,
   * and asking the kernel for every interface address a second per session is costly).
   * `onHealth` sees every TCP_INFO read (the TLS overhead guard: at once when bytes arrive where
   * they are counted, else once a second).
   */
  static start(
    policy: CarrierPolicy | undefined,
    ends: TcpEndpoints | undefined,
    queue: WriteWindow,
    counts: { sent: () => number; received?: () => number | undefined },
    onAddressGone: (() => void) | undefined,
    onHealth?: (health: TcpHealth) => void,
    readChecks = IDLE_READ_CHECKS,
  ): { tuner: CarrierTuner; touch: () => void; stop: () => void } | undefined {
    const socket = policy && ends ? CarrierSocket.find(policy.lib, ends) : undefined;
    if (!socket) return undefined;
    const tuner = new CarrierTuner(socket, queue, policy?.congestionControl);
    socket.setUserTimeout(CARRIER_USER_TIMEOUT_MS);
    tuner.tick();
    const { sent, received } = counts;
    const schedule = new ReadSchedule(sent(), received?.(), readChecks);
    const read = () => {
      const health = tuner.tick();
      if (health) onHealth?.(health);
      // A client that moved (its address removed): the connection is dead, redial at once.
      if (onAddressGone && socket.localAddressPresent() === false) onAddressGone();
    };
    let stopBusy: (() => void) | undefined;
    const busyStep = () => {
      if (schedule.busyTick(sent()) === "read") return read();
      stopBusy?.();
      stopBusy = undefined;
    };
    const stopIdle = idleTicker.add(() => {
      if (schedule.idleCheck(sent(), received?.())) read();
    });
    return {
      tuner,
      touch: () => {
        if (schedule.touch()) stopBusy = busyTicker.add(busyStep);
      },
      stop: () => {
        stopIdle();
        stopBusy?.();
      },
    };
  }

  /** The carrier's state at the last tick. */
  get health(): TcpHealth | undefined {
    return this.#health;
  }

  /** Reads TCP_INFO and sizes the buffers; returns the health read (undefined: socket gone). */
  tick(): TcpHealth | undefined {
    const health = this.#health = this.#socket.health();
    if (!health) return undefined;
    // The higher of what was delivered and what is paced: a rate that grows is followed at once.
    const { notsentLowat, writeWindow } = carrierBuffers(
      Math.max(health.deliveryRateBps, health.pacingRateBps / 2),
    );
    if (notsentLowat !== this.#lowat && this.#socket.setNotsentLowat(notsentLowat)) {
      this.#lowat = notsentLowat;
    }
    this.#queue.writeWindowBytes = writeWindow;
    const cap = this.#pacing?.step({
      srttMs: health.srttMs,
      minRttMs: health.minRttMs,
      deliveryRateBps: health.deliveryRateBps,
      backlogged: health.notsentBytes > 0,
      pacingRateBps: health.pacingRateBps,
    }, performance.now());
    if (cap !== undefined) this.#socket.setMaxPacingRate(cap);
    return health;
  }
}

/** The carrier's and the AQM's part of a session's view. */
export function carrierViews(
  tuner: CarrierTuner | undefined,
  aqm: AqmCounters,
): { carrier?: CarrierView; aqm: AqmView } {
  const health = tuner?.health;
  const queue = { sojournMs: aqm.sojournMs, dropped: aqm.dropped, marked: aqm.marked };
  if (!tuner || !health) return { aqm: queue };
  return {
    aqm: queue,
    carrier: {
      congestionControl: tuner.congestionControl,
      srttMs: health.srttMs,
      rttvarMs: health.rttvarMs,
      retransmits: health.retransmits,
      cwnd: health.cwnd,
      deliveryRateBps: health.deliveryRateBps,
      notsentBytes: health.notsentBytes,
    },
  };
}
