import tls from "node:tls";
import net, { type Socket } from "node:net";
import type { Endpoint } from "../config/types.ts";
import { endSocket, formatRemote, type SecureStream, TlsSocketStream } from "./secure_stream.ts";
import { describeTlsError } from "./tls_errors.ts";
import { serverTlsOptions } from "./tls_options.ts";
import type { TlsMaterial } from "../pki/material.ts";
import { peerAddressOf } from "./peer_address.ts";
import { PendingConnections, type PendingLimits, type PendingSlot } from "./pending.ts";

/** A client that completed the TLS handshake without a certificate our TLS layer accepts. */
export interface UnauthorizedPeer {
  /** host:port */
  readonly remote: string;
  /** The certificate it presented (DER), if any. */
  readonly certificate: Uint8Array<ArrayBuffer> | undefined;
  /** Ends the connection after `last` (a Close frame saying why), without reading anything. */
  refuse(last?: Uint8Array): void;
}

export interface ListenerEvents {
  /**
   * A client completed the mutual-TLS handshake. It still holds its pending slot (it counts
   * against the caps) until the caller releases it, once the session has opened.
   */
  onStream(stream: SecureStream, slot: PendingSlot): void;
  /** A client completed the handshake, but its certificate was not accepted. */
  onUnauthorized(peer: UnauthorizedPeer): void;
  /** A handshake failed: `peer` is host:port, `reason` one line. */
  onHandshakeFailure(peer: string, reason: string): void;
  /** A connection was closed at once because a cap was reached (`cap` names which). */
  onCapped(peer: string, cap: "pending" | "per source"): void;
  /** A connection did not finish the handshake in time and was closed. */
  onHandshakeTimeout(peer: string): void;
}

export interface ListenerOptions extends Partial<PendingLimits> {
  /** Close a connection whose TLS handshake has not completed after this long. @default 10000 */
  readonly handshakeTimeoutMs?: number;
}

/**
 * Accepts mutually authenticated TLS connections, and guards the door before anyone is
 * authenticated: at most `maxPending` connections at once and `maxPendingPerSource` per source
 * address (beyond either, a connection is closed at once), and a deadline on the handshake. So a
 * stranger can neither exhaust the process's descriptors nor hold memory for long.
 */
export class TlsListener {
  #server: net.Server;
  #tls: tls.Server;
  readonly endpoint: Endpoint;
  readonly pending: PendingConnections;

  private constructor(
    server: net.Server,
    tlsServer: tls.Server,
    endpoint: Endpoint,
    pending: PendingConnections,
  ) {
    this.#server = server;
    this.#tls = tlsServer;
    this.endpoint = endpoint;
    this.pending = pending;
  }

  /** Starts listening; rejects with a clear message when the address cannot be bound. */
  static listen(
    endpoint: Endpoint,
    material: TlsMaterial,
    events: ListenerEvents,
    options: ListenerOptions = {},
  ) {
    const pending = new PendingConnections(options);
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    // Pending connections by host:port, to find a TLS socket's slot (at most maxPending entries).
    const slots = new Map<string, PendingSlot>();
    // node:tls does the handshakes but never listens itself: a plain TCP server accepts, applies
    // the caps, and hands over only what passes (tls.createServer wrapping connections that were
    // then closed at a cap kept about 30 KB each for good, measured in Deno 2.9.6).
    const tlsServer = tls.createServer(serverTlsOptions(material), (socket) => {
      const slot = slots.get(peerAddressOf(socket));
      slot?.handshakeDone();
      // In Deno the TCP socket under a TLS socket never emits "close" once wrapped: the place is
      // freed when the TLS socket closes (release() is idempotent).
      if (slot) socket.once("close", () => slot.release());
      if (socket.authorized && slot) {
        events.onStream(new TlsSocketStream(socket), slot);
        return;
      }
      // Not authorized by the TLS layer: no session; what it sends is discarded unparsed (draining
      // it lets its FIN arrive, so the connection and its place end as soon as it has our Close).
      socket.on("data", () => {});
      const cert = socket.getPeerCertificate(true);
      events.onUnauthorized({
        remote: peerAddressOf(socket),
        certificate: cert?.raw ? new Uint8Array(cert.raw) : undefined,
        refuse: (last) => endSocket(socket, last),
      });
    });
    const server = net.createServer((socket: Socket) => {
      const remote = formatRemote(socket.remoteAddress, socket.remotePort);
      const source = socket.remoteAddress ?? "unknown";
      const slot = pending.acquire(source);
      if (typeof slot === "string") {
        socket.destroy();
        events.onCapped(remote, slot);
        return;
      }
      // Every way a connection ends frees its place once, and its entry in `slots` with it.
      const entry: PendingSlot = {
        startDeadline: slot.startDeadline,
        handshakeDone: slot.handshakeDone,
        release: () => {
          slot.release();
          if (slots.get(remote) === entry) slots.delete(remote);
        },
      };
      slots.set(remote, entry);
      entry.startDeadline(handshakeTimeoutMs, () => {
        socket.destroy();
        events.onHandshakeTimeout(remote);
      });
      socket.once("close", entry.release);
      tlsServer.emit("connection", socket);
    });
    tlsServer.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      const peer = peerAddressOf(socket);
      slots.get(peer)?.release();
      events.onHandshakeFailure(peer, describeTlsError(error));
      socket.destroy();
    });
    return new Promise<TlsListener>((resolve, reject) => {
      server.once("error", (error: Error) => {
        reject(
          new Error(
            `cannot listen on ${formatRemote(endpoint.host, endpoint.port)}: ${
              describeTlsError(error)
            }`,
          ),
        );
      });
      server.listen(endpoint.port, endpoint.host, () => {
        const address = server.address();
        const port = typeof address === "object" && address ? address.port : endpoint.port;
        resolve(new TlsListener(server, tlsServer, { host: endpoint.host, port }, pending));
      });
    });
  }

  /** Replaces the certificate, key and CA used for new connections; live ones keep theirs. */
  setMaterial(material: TlsMaterial): void {
    this.#tls.setSecureContext(serverTlsOptions(material));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
