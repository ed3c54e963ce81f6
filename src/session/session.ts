import type { Logger } from "@logtape/logtape";
import type { Frame } from "../frame/codec.ts";
import { FrameError } from "../frame/codec.ts";
import { FrameType } from "../frame/constants.ts";
import {
  CloseCode,
  decodeClose,
  decodeHello,
  decodePingToken,
  encodeClose,
  encodeHello,
  encodePing,
  type PeerHello,
} from "../frame/control.ts";
import { judgeHello } from "./hello_exchange.ts";
import { FrameReceiver, NO_DATA_FRAMES } from "../frame/receiver.ts";
import type { PacketFilter } from "../ip/packet_filter.ts";
import type { ConnectionInfo, SecureStream } from "../transport/secure_stream.ts";
import type { SessionView } from "../counters/registry.ts";
import { SendQueue } from "./send_queue.ts";
import { ControlBudget } from "./control_budget.ts";
import { type CarrierTuner, carrierViews } from "./carrier_tuner.ts";
import { watchCarrier } from "./carrier_watch.ts";
import { type LaneCarrier, LaneSlot } from "./sparse_lane.ts";
import type { SessionEnd, SessionOptions, SessionState } from "./session_options.ts";
import { type SessionCounters, sessionCounters } from "./session_counters.ts";
import {
  DEFAULT_KEEPALIVE,
  type KeepaliveOptions,
  keepaliveStep,
  keepaliveTickMs,
} from "./keepalive.ts";
import { sharedTicker } from "./shared_ticker.ts";

export type { KeepaliveOptions } from "./keepalive.ts";
export {
  type Admission,
  type SessionEnd,
  type SessionOptions,
  SessionRefusal,
  type SessionState,
} from "./session_options.ts";

/**
 * One peer's protocol state machine over an authenticated stream: Hello exchange, then data
 * frames both ways with keepalive, then an orderly or abrupt end. Protocol violations by the peer
 * close this session only.
 */
export class Session {
  readonly role: "server" | "client";
  /** Who the peer is and how it is connected (from the authenticated stream). */
  readonly connection: ConnectionInfo;
  /** When the session was created (ms since the epoch). */
  readonly since = Date.now();
  /** Resolves with the peer's Hello when the session opens; rejects when it closes first. */
  readonly opened: Promise<PeerHello>;
  /** Resolves once, when the session has ended. */
  readonly ended: Promise<SessionEnd>;
  #state: SessionState = "handshake";
  #acceptsGso = false;
  /** Both Hellos list `lanes` and `lane-renew`: the client may ask for a new lane's token. */
  #renewsLanes = false;
  #peer: PeerHello | undefined;
  #receiver: FrameReceiver;
  #options: SessionOptions;
  #keepalive: KeepaliveOptions;
  #log: Logger;
  #timers: Array<ReturnType<typeof setTimeout>> = [];
  #stopTuner: (() => void) | undefined;
  /** Tells the carrier's tuner data was sent (carrier_watch.ts); nothing without a tuner. */
  #touchTuner: () => void = () => {};
  #stopKeepalive: (() => void) | undefined;
  #lastReceived = performance.now();
  #lastPing = performance.now();
  #stream: SecureStream;
  #queue: SendQueue;
  #controlBudget = new ControlBudget();
  #out = { packets: 0, bytes: 0, congested: 0, control: 0 };
  /** Plaintext bytes and control frames received (for the TLS overhead guard). */
  #in = { bytes: 0, control: 0 };
  #rttMs: number | undefined;
  #tuner: CarrierTuner | undefined;
  #lanes: LaneSlot;
  #resolveOpened!: (hello: PeerHello) => void;
  #rejectOpened!: (reason: Error) => void;
  #resolveEnded!: (end: SessionEnd) => void;

  constructor(options: SessionOptions) {
    this.role = options.role;
    this.#stream = options.stream;
    this.connection = options.stream.info;
    this.#queue = new SendQueue(options.stream, {
      ...(options.sendQueueBytes ? { limitBytes: options.sendQueueBytes } : {}),
      ...(options.sendBudget ? { budget: options.sendBudget } : {}),
    });
    this.#lanes = new LaneSlot(this.#queue, (frame) => this.#sendControl(frame));
    this.#options = options;
    this.#log = options.logger;
    this.#attachCarrier(options);
    this.#keepalive = options.keepalive ?? DEFAULT_KEEPALIVE;
    this.opened = new Promise((resolve, reject) => {
      this.#resolveOpened = resolve;
      this.#rejectOpened = reject;
    });
    this.opened.catch(() => {}); // the ended promise reports why
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.#receiver = new FrameReceiver(
      NO_DATA_FRAMES,
      (frame) => this.#onControl(frame),
      options.onSpoofed ? { onSpoofed: options.onSpoofed } : {},
    );

    this.#stream.onData((chunk) => this.#onData(chunk));
    this.#stream.closed.then((error) => {
      const detail = error ? `: ${error.message}` : "";
      this.#finish({ code: 0, message: `connection lost${detail}`, byPeer: true });
    });
    this.#timers.push(setTimeout(() => {
      if (this.#state === "handshake") {
        this.close(CloseCode.ProtocolError, "no hello within the handshake timeout");
      }
    }, options.handshakeTimeoutMs ?? 10_000));
    if (this.role === "client") this.#sendControl(encodeHello(options.hello));
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The peer's Hello, once received. */
  get peer(): PeerHello | undefined {
    return this.#peer;
  }

  /** Whether the peer said it takes PacketGso frames (and we offered them too). */
  get acceptsGso(): boolean {
    return this.#acceptsGso;
  }

  /** Bytes handed to TLS whose writes have not completed. */
  get inFlight(): number {
    return this.#queue.queued;
  }

  /** How long bytes have waited for the carrier without a write completing (0: none wait). */
  stalledMs(): number {
    return this.#queue.stalledMs();
  }

  /** The open sparse lane (a second connection carrying sparse packets), if any. */
  get lane(): LaneCarrier | undefined {
    return this.#lanes.lane;
  }

  /**
   * Takes `lane` (an open session over a second connection to the same peer) as this session's
   * sparse lane, until either ends; false when this session is not open or has a lane already.
   */
  attachLane(lane: LaneCarrier, onDetached?: () => void): boolean {
    return this.#state === "open" && this.#lanes.attach(lane, onDetached);
  }

  /**
   * Client: asks the server for a token for a new sparse lane; resolves with it, or undefined when
   * the server cannot renew lanes, does not answer within `timeoutMs`, or the session ends.
   */
  requestLaneToken(timeoutMs: number): Promise<string | undefined> {
    if (this.role !== "client" || this.#state !== "open" || !this.#renewsLanes) {
      return Promise.resolve(undefined);
    }
    return this.#lanes.requestToken(timeoutMs);
  }

  /** Tunes the carrier as a thin stream: this session is another's sparse lane. */
  asThinStream(): void {
    this.#tuner?.thinStream();
  }

  /** Whether the send queue has no room for `charge` more bytes. */
  full(charge: number): boolean {
    return !this.#queue.fits(charge);
  }

  /** Resolves once the send queue is at most half full, or the session has ended. */
  drained(): Promise<void> {
    return this.#queue.drained();
  }

  /** Everything this session carried and dropped so far. */
  get counters(): SessionCounters {
    const lanes = this.#lanes.received;
    return sessionCounters(this.#receiver.stats, this.#out, { lanes, rttMs: this.#rttMs });
  }

  /** This session as reports show it. */
  view(): SessionView {
    const { rttMs, ...traffic } = this.counters;
    return {
      peerName: this.connection.peerName,
      tunnelAddress: this.#peer && [this.#peer.address, this.#peer.address6]
        .flatMap((a) => a === undefined ? [] : [a.text]).join(" "),
      remote: this.connection.remote,
      since: this.since,
      rttMs,
      queuedBytes: this.#queue.queued,
      traffic,
      ...carrierViews(this.#tuner, this.#queue.aqm),
      lane: this.#lanes.view(),
    };
  }

  /**
   * Sends `packets` whole data frames. `charge` is the memory they hold (a lent buffer counts
   * whole); `release` runs once TLS no longer needs them. Returns false, and counts the packets
   * as congested drops, when the send queue is full; frames offered while the session is not open
   * are dropped the same way (and not counted).
   */
  send(frames: Uint8Array, packets = 1, charge = frames.length, release?: () => void): boolean {
    if (this.#state !== "open") return false;
    if (!this.#queue.offer(frames, charge, release)) {
      this.#out.congested += packets;
      return false;
    }
    this.#out.packets += packets;
    this.#out.bytes += frames.length;
    this.#touchTuner();
    return true;
  }

  /**
   * Sends sparse data frames (whole, the session's to keep) ahead of any bulk backlog, in one
   * write: what a session hands its sparse lane. False, counted as congested, when full or closed.
   */
  sendSparse(frames: Uint8Array, packets: number): boolean {
    if (this.#state !== "open" || !this.#queue.offerSparse(frames)) {
      this.#out.congested += packets;
      return false;
    }
    this.#out.packets += packets;
    this.#out.bytes += frames.length;
    this.#touchTuner();
    return true;
  }

  /** Replaces what the peer's packets may carry (a reload changed its networks or rules). */
  refilter(filter: PacketFilter): void {
    if (this.#state !== "open") return;
    this.#receiver.filter = filter;
    this.#lanes.refilter(filter);
  }

  /** Tells the peer why, then ends the session. Safe to call more than once. */
  close(code: CloseCode, message: string): void {
    if (this.#state === "closed") return;
    this.#queue.force(encodeClose({ code, message }));
    this.#stream.end();
    this.#finish({ code, message, byPeer: false });
  }

  #onData(chunk: Uint8Array): void {
    if (this.#state === "closed") return;
    this.#lastReceived = performance.now();
    this.#in.bytes += chunk.length;
    try {
      this.#receiver.push(chunk);
    } catch (error) {
      if (error instanceof FrameError) {
        this.#log.warn("closing session with {peer}: protocol error: {reason}", {
          peer: this.#stream.info.remote,
          reason: error.message,
        });
        this.close(CloseCode.ProtocolError, error.message);
        return;
      }
      throw error;
    }
  }

  #onControl(frame: Frame): void {
    if (this.#state === "closed") return;
    this.#controlBudget.charge(performance.now());
    this.#in.control++;
    switch (frame.type) {
      case FrameType.Hello:
        return this.#onHello(decodeHello(frame.payload));
      case FrameType.Ping:
        this.#sendControl(encodePing(FrameType.Pong, decodePingToken(frame.payload)));
        return;
      case FrameType.Pong: {
        const sentAt = Number(decodePingToken(frame.payload)) / 1000;
        this.#rttMs = Math.max(0, performance.now() - sentAt);
        this.#options.onRtt?.(this.#rttMs);
        return;
      }
      case FrameType.LaneRequest:
      case FrameType.LaneToken:
        if (!this.#renewsLanes) {
          throw new FrameError("lane renewal without lane-renew in both hellos");
        }
        return this.#lanes.onControl(frame, this.role, this.#options.onLaneRequest);
      case FrameType.Close: {
        const reason = decodeClose(frame.payload);
        this.#stream.end();
        this.#finish({ ...reason, byPeer: true });
        return;
      }
      case FrameType.Packet:
      case FrameType.PacketGso:
        throw new FrameError("data frame before the hello exchange completed");
    }
  }

  #onHello(peer: PeerHello): void {
    if (this.#state !== "handshake") throw new FrameError("second hello on an open session");
    const verdict = judgeHello(peer, this.#options.hello, this.#options.admit);
    if ("refusal" in verdict) {
      this.close(verdict.refusal.code, verdict.refusal.message);
      return;
    }
    const { admission } = verdict;
    this.#peer = peer;
    this.#acceptsGso = verdict.acceptsGso;
    this.#renewsLanes = verdict.renewsLanes;
    if (this.role === "server") {
      this.#sendControl(encodeHello({ ...this.#options.hello, ...admission.reply }));
    }
    this.#receiver.filter = admission.filter;
    this.#receiver.writer = admission.writer;
    this.#state = "open";
    this.#startKeepalive();
    this.#resolveOpened(peer);
  }

  #attachCarrier(options: SessionOptions): void {
    const started = watchCarrier({
      policy: options.carrier,
      endpoints: options.stream.endpoints,
      queue: this.#queue,
      sent: () => this.#out.bytes,
      wireBytes: () => options.stream.wireBytes,
      // Only a client moves; a server's local address is the one it listens on.
      onAddressGone: this.role === "client"
        ? () => {
          const local = options.stream.endpoints?.localAddress ?? "address";
          this.#stream.destroy();
          this.#finish({
            code: 0,
            message: `the local address ${local} went away (the host moved)`,
            byPeer: false,
          });
        }
        : undefined,
      received: () => {
        const { packetsIn, drops } = this.counters;
        // Malformed frames earn no allowance: no honest peer sends them.
        const frames = this.#in.control + packetsIn + drops.spoofed + drops.destination +
          drops.linkLocal + drops.tunWrite;
        return { plainBytes: this.#in.bytes, frames };
      },
      onOverhead: (message) => {
        if (this.#state === "closed") return;
        // The end's one line (the server's "client NAME (PEER) disconnected: ...") gives the reason.
        this.close(CloseCode.ProtocolError, message);
        // A flooder may not read: drop what TLS holds for it now, not after the close grace.
        this.#stream.destroy();
      },
    });
    if (!started) return;
    this.#tuner = started.tuner;
    this.#touchTuner = started.touch;
    this.#stopTuner = started.stop;
  }

  #startKeepalive(): void {
    // One interval for all the process's sessions (shared_ticker.ts), not one each.
    this.#stopKeepalive = sharedTicker(keepaliveTickMs(this.#keepalive)).add(() => {
      const now = performance.now();
      const step = keepaliveStep(
        now,
        {
          stalledMs: this.#queue.stalledMs(),
          lastReceived: this.#lastReceived,
          lastPing: this.#lastPing,
          rttKnown: this.#rttMs !== undefined,
        },
        this.#keepalive,
        this.role,
      );
      if (step === "ping") {
        this.#lastPing = now;
        this.#sendControl(encodePing(FrameType.Ping, BigInt(Math.round(now * 1000))));
      } else if (step) this.close(CloseCode.PeerTimeout, step.close);
    });
  }

  /** Sends a Hello, Ping or Pong; when the peer is not reading, pings and pongs are dropped. */
  #sendControl(frame: Uint8Array): void {
    if (!this.#queue.offerControl(frame)) this.#out.control++;
  }

  #finish(end: SessionEnd): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#lanes.close(CloseCode.Shutdown, "its session ended");
    this.#queue.close();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
    this.#stopTuner?.();
    this.#stopKeepalive?.();
    this.#rejectOpened(new Error(end.message));
    this.#resolveEnded(end);
  }
}
