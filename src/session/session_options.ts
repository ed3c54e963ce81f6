/**
 * What a Session is given and what it reports at its end: its options, the admission a side
 * decides for its peer's Hello, and the refusal an admit function throws.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { CloseCode, CloseReason, Hello, PeerHello } from "../frame/control.ts";
import type { DataFrameWriter } from "../frame/receiver.ts";
import type { PacketFilter } from "../ip/packet_filter.ts";
import type { SecureStream } from "../transport/secure_stream.ts";
import type { CarrierPolicy } from "../transport/congestion_control.ts";
import type { SendBudget } from "./send_queue.ts";
import type { KeepaliveOptions } from "./keepalive.ts";

/** What a side decides about its peer's Hello. */
export interface Admission {
  /** What the peer's packets may carry (sources it owns, destinations it may reach). */
  readonly filter: PacketFilter;
  /** Where the peer's data frames go once the session is open. */
  readonly writer: DataFrameWriter;
  /** What the server's Hello answer adds for this peer (its lane token). */
  readonly reply?: Pick<Hello, "lane">;
}

/** Thrown by an admit function to refuse a peer with a reason it is told. */
export class SessionRefusal extends Error {
  override name = "SessionRefusal";
  constructor(readonly code: CloseCode, message: string) {
    super(message);
  }
}

export interface SessionOptions {
  readonly role: "server" | "client";
  readonly stream: SecureStream;
  /** Our Hello. The client sends it first; the server answers only after admitting the client. */
  readonly hello: Hello;
  readonly logger: Logger;
  /** Judges the peer's Hello; throws SessionRefusal to refuse. */
  readonly admit: (peer: PeerHello) => Admission;
  /** @default DEFAULT_KEEPALIVE */
  readonly keepalive?: KeepaliveOptions;
  /** Close when the Hello exchange takes longer. @default 10000 */
  readonly handshakeTimeoutMs?: number;
  /** Bytes this peer may have queued for sending. @default DEFAULT_SEND_QUEUE_BYTES */
  readonly sendQueueBytes?: number;
  /** The process-wide ceiling on queued bytes, shared with the other sessions. */
  readonly sendBudget?: SendBudget;
  /** Told every keepalive round trip measured, in ms. */
  readonly onRtt?: (ms: number) => void;
  /**
   * The shim, to reach the carrier's TCP socket: small unsent and TLS buffers sized from its
   * delivery rate (so packets wait in the AQM'd send queue), and its health for reports.
   */
  readonly carrier?: CarrierPolicy;
  /**
   * Told the source address (4 or 16 bytes) of a packet dropped because the filter says the peer
   * does not own it: at most once per chunk received, so the caller rate-limits its log line.
   */
  readonly onSpoofed?: (source: Uint8Array) => void;
  /**
   * Server: the client asked for a token for a new sparse lane (both Hellos list `lane-renew`);
   * returns the token it is sent.
   */
  readonly onLaneRequest?: () => string;
}

export type SessionState = "handshake" | "open" | "closed";

export interface SessionEnd extends CloseReason {
  /** True when the peer closed (by Close frame or by dropping the connection). */
  readonly byPeer: boolean;
}
