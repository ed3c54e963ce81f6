/**
 * The server's transport port: what it needs of the network. `main.ts` hands it a TLS listener
 * (src/transport/listener.ts); tests hand it tests/lib/fake_network.ts.
 *
 * @module
 */

import type { Endpoint } from "../config/types.ts";
import type { PendingSlot } from "../transport/pending.ts";
import type { SecureStream } from "../transport/secure_stream.ts";

/** A client that completed the TLS handshake without a certificate our TLS layer accepts. */
export interface UnauthorizedClient {
  /** host:port */
  readonly remote: string;
  /** The certificate it presented (DER), if any. */
  readonly certificate: Uint8Array<ArrayBuffer> | undefined;
  /** It resumed a TLS session, which is refused whatever its certificate. */
  readonly resumed: boolean;
  /** Ends the connection after `last` (a Close frame saying why), without reading anything. */
  refuse(last?: Uint8Array): void;
}

/** What the listener tells the server about each connection. */
export interface DoorEvents {
  /**
   * A client completed the mutual-TLS handshake; `stream.info` names its certificate. It holds
   * its pending slot (it counts against the caps) until the server releases it.
   */
  onStream(stream: SecureStream, slot: PendingSlot): void;
  /** A client completed the handshake, but its certificate was not accepted. */
  onUnauthorized(peer: UnauthorizedClient): void;
  /** A handshake failed: `peer` is host:port, `reason` one line. */
  onHandshakeFailure(peer: string, reason: string): void;
  /** A connection was closed at once because a cap was reached (`cap` names which). */
  onCapped(peer: string, cap: "pending" | "per source"): void;
  /** A connection did not finish the handshake in time and was closed. */
  onHandshakeTimeout(peer: string): void;
  /** The listening socket stopped accepting (e.g. out of descriptors); it is being replaced. */
  onAcceptStopped?(reason: string): void;
  /** It accepts again. */
  onAcceptResumed?(): void;
}

/** The caps on connections that are not yet sessions (see src/server/connection_limits.ts). */
export interface DoorLimits {
  readonly maxPending: number;
  readonly maxPendingPerSource: number;
  /** Per IPv4 and IPv6 network of the given prefix lengths (ConnectionLimits.networks). */
  readonly maxPendingPerNetwork4: number;
  readonly maxPendingPerNetwork6: number;
  readonly network4Prefix: number;
  readonly network6Prefix: number;
  readonly handshakeTimeoutMs: number;
}

/** A bound listener. */
export interface ListeningDoor {
  /** The bound address (the real port when the configuration asked for port 0). */
  readonly endpoint: Endpoint;
  /** False while the listening socket has stopped accepting (until it is replaced). */
  readonly accepting: boolean;
  /**
   * Resolves with one line when the listening socket stopped accepting and cannot be replaced:
   * the process should exit with a failure, so that the service manager starts it again.
   */
  readonly lost: Promise<string>;
  /** Stops accepting; resolves once closed. */
  close(): Promise<void>;
}

/** Accepts clients: binds where the configuration says, and reports each connection. */
export interface ServerTransport {
  /** Starts listening; rejects with a one-line reason when the address cannot be bound. */
  listen(events: DoorEvents, limits: DoorLimits): Promise<ListeningDoor>;
}
