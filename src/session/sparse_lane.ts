/**
 * A session's sparse lane: a second connection to the same peer, with the same certificate, that
 * carries the session's sparse packets (pings, DNS, keystrokes: PacketKind.Sparse in
 * packet_class.ts) while bulk data, and the bulk flows' ACKs, stay on the main carrier. One in-order TCP connection blocks everything behind a lost
 * segment for at least a round trip; on a lossy path at 100 Mbit/s that is one segment every few
 * milliseconds, and every ping waits behind it. On a connection of their own, sparse packets wait
 * only for their own (rare) losses.
 *
 * The slot holds at most one lane. While the lane is open and keeps up, the main queue hands it
 * every sparse packet; when it falls behind (nothing written for LANE_STALL_MS) or ends, sparse
 * packets return to the main carrier at once and the session goes on.
 */
import type { LaneView } from "../counters/registry.ts";
import { type Frame, FrameError } from "../frame/codec.ts";
import { FrameType } from "../frame/constants.ts";
import { decodeLaneToken, encodeLaneControl } from "../frame/control.ts";
import type { PacketFilter } from "../ip/packet_filter.ts";
import type { SendQueue } from "./send_queue.ts";

/**
 * How long a lane may hold bytes without a write completing before sparse packets go back to
 * the main carrier (a lane on a dead path; its keepalive or TCP_USER_TIMEOUT ends it later).
 * @default 1 s
 */
export const LANE_STALL_MS = 1000;

/** What the slot needs of the lane's session (a Session satisfies it). */
export interface LaneCarrier {
  readonly state: string;
  readonly ended: Promise<unknown>;
  readonly counters: LaneReceived;
  /** Sends whole sparse data frames (its to keep) ahead of any bulk data it has. */
  sendSparse(frames: Uint8Array, packets: number): boolean;
  stalledMs(): number;
  close(code: number, message: string): void;
  refilter(filter: PacketFilter): void;
  /** Tunes its connection as a thin stream (a few small writes: quick loss recovery). */
  asThinStream?(): void;
}

/** What a lane received: its packets, and those its filter or the TUN dropped. */
export interface LaneReceived {
  readonly packetsIn: number;
  readonly bytesIn: number;
  readonly drops: Readonly<Record<ReceiveDrop, number>>;
}

/** The drops a lane's receiver counts (the sending side's are the session's own). */
export const RECEIVE_DROPS = [
  "spoofed",
  "malformed",
  "tunWrite",
  "destination",
  "linkLocal",
] as const;
export type ReceiveDrop = typeof RECEIVE_DROPS[number];

export class LaneSlot {
  #lane: LaneCarrier | undefined;
  #queue: Pick<SendQueue, "sparseSink">;
  #closed = false;
  /** What lanes that ended received, so the session's counters keep it. */
  #retired = {
    packetsIn: 0,
    bytesIn: 0,
    drops: { spoofed: 0, malformed: 0, tunWrite: 0, destination: 0, linkLocal: 0 },
  };
  /** The one pending wait for a lane token (Session.requestLaneToken), if any. */
  #tokenWait:
    | { resolve: (token: string | undefined) => void; timer: ReturnType<typeof setTimeout> }
    | undefined;
  #sendControl: (frame: Uint8Array) => void;
  /** What lanes carried out, and how often sparse packets went back to the main carrier. */
  #out = { opened: 0, packets: 0, bytes: 0, fallbacks: 0 };

  /** `sendControl` sends a control frame on the session's own connection. */
  constructor(queue: Pick<SendQueue, "sparseSink">, sendControl: (frame: Uint8Array) => void) {
    this.#queue = queue;
    this.#sendControl = sendControl;
  }

  /** The open lane, if any. */
  get lane(): LaneCarrier | undefined {
    return this.#lane;
  }

  /** Sparse packets handed to lanes so far. */
  get sent(): number {
    return this.#out.packets;
  }

  /** The lane as reports show it. */
  view(): LaneView {
    const { opened, packets, bytes, fallbacks } = this.#out;
    return {
      up: this.#lane !== undefined,
      opened,
      packetsOut: packets,
      bytesOut: bytes,
      fallbacks,
    };
  }

  /** Packets and bytes received over lanes, the live one included. */
  get received(): LaneReceived {
    const live = this.#lane?.counters;
    const drops = { ...this.#retired.drops };
    for (const kind of RECEIVE_DROPS) drops[kind] += live?.drops[kind] ?? 0;
    return {
      packetsIn: this.#retired.packetsIn + (live?.packetsIn ?? 0),
      bytesIn: this.#retired.bytesIn + (live?.bytesIn ?? 0),
      drops,
    };
  }

  /**
   * Takes `lane` as the sparse lane; false (and the lane is left alone) when the slot is taken or
   * closed. From now until the lane ends, sparse packets travel on it.
   */
  attach(lane: LaneCarrier, onDetached?: () => void): boolean {
    if (this.#closed || this.#lane !== undefined || lane.state !== "open") return false;
    this.#lane = lane;
    this.#out.opened++;
    lane.asThinStream?.();
    this.#queue.sparseSink = (frames) => {
      if (lane.stalledMs() >= LANE_STALL_MS) {
        this.#out.fallbacks++;
        return false;
      }
      let length = 0;
      for (const frame of frames) length += frame.length;
      const batch = new Uint8Array(length);
      let at = 0;
      for (const frame of frames) {
        batch.set(frame, at);
        at += frame.length;
      }
      if (!lane.sendSparse(batch, frames.length)) {
        this.#out.fallbacks++;
        return false;
      }
      this.#out.packets += frames.length;
      this.#out.bytes += length;
      return true;
    };
    lane.ended.then(() => {
      if (this.#lane !== lane) return;
      const { packetsIn, bytesIn, drops } = lane.counters;
      this.#retired.packetsIn += packetsIn;
      this.#retired.bytesIn += bytesIn;
      for (const kind of RECEIVE_DROPS) this.#retired.drops[kind] += drops[kind];
      this.#lane = undefined;
      this.#queue.sparseSink = undefined;
      onDetached?.();
    });
    return true;
  }

  /**
   * Client: sends a LaneRequest; resolves with the token of the next LaneToken, or undefined
   * after `timeoutMs` or at close(). One request at a time: a pending one resolves undefined.
   */
  requestToken(timeoutMs: number): Promise<string | undefined> {
    this.#tokenArrived(undefined);
    if (this.#closed) return Promise.resolve(undefined);
    const token = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => this.#tokenArrived(undefined), timeoutMs);
      this.#tokenWait = { resolve, timer };
    });
    this.#sendControl(encodeLaneControl());
    return token;
  }

  /**
   * A LaneRequest (server: answered with the token `onRequest` gives) or LaneToken (client) from
   * the peer of a session where both Hellos list `lane-renew`. A FrameError when the wrong side's.
   */
  onControl(frame: Frame, role: "server" | "client", onRequest: (() => string) | undefined): void {
    if (frame.type === FrameType.LaneRequest && role === "server" && onRequest) {
      return this.#sendControl(encodeLaneControl(onRequest()));
    }
    if (frame.type === FrameType.LaneToken && role === "client") {
      return this.#tokenArrived(decodeLaneToken(frame.payload));
    }
    throw new FrameError(`a ${role} does not take frame type 0x${frame.type.toString(16)}`);
  }

  /** A LaneToken came (undefined: the wait ends without one). Unasked-for tokens are ignored. */
  #tokenArrived(token: string | undefined): void {
    const wait = this.#tokenWait;
    if (!wait) return;
    this.#tokenWait = undefined;
    clearTimeout(wait.timer);
    wait.resolve(token);
  }

  /** The session's filter changed: the lane's packets follow it. */
  refilter(filter: PacketFilter): void {
    this.#lane?.refilter(filter);
  }

  /** The session ended: its lane goes with it, and none may join. */
  close(code: number, message: string): void {
    this.#closed = true;
    this.#tokenArrived(undefined);
    this.#queue.sparseSink = undefined;
    this.#lane?.close(code, message);
  }
}
