import tls from "node:tls";
import net, { type Socket } from "node:net";
import type { Endpoint } from "../config/types.ts";
import { endSocket, formatRemote, type SecureStream, TlsSocketStream } from "./secure_stream.ts";
import { describeTlsError } from "./tls_errors.ts";
import { describeServerHandshakeFailure } from "./handshake_diagnosis.ts";
import { serverTlsOptions } from "./tls_options.ts";
import type { TlsMaterial } from "../pki/material.ts";
import { peerAddressOf } from "./peer_address.ts";
import {
  handshakeDeadlineMs,
  type PendingCap,
  PendingConnections,
  type PendingLimits,
  type PendingSlot,
} from "./pending.ts";
import { AcceptWatchdog, type ProbeConnection } from "./accept_watchdog.ts";
import { QuietReclaim } from "./quiet_reclaim.ts";
import { errorMessage } from "../base/error_message.ts";
import { PeerCertificateCheck } from "../pki/peer_check.ts";
import { handOver } from "./proxy_protocol.ts";
import { readFirstRecord } from "./first_record.ts";

/** A client that completed the TLS handshake without a certificate our TLS layer accepts. */
export interface UnauthorizedPeer {
  /** host:port */
  readonly remote: string;
  /** The certificate it presented (DER), if any. */
  readonly certificate: Uint8Array<ArrayBuffer> | undefined;
  /** It resumed a TLS session, which is refused whatever its certificate (see listen()). */
  readonly resumed: boolean;
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
  /**
   * A connection was closed at once because a cap was reached (`cap` names which): a newcomer
   * turned away, or a pending connection closed to make room for one.
   */
  onCapped(peer: string, cap: PendingCap): void;
  /** A connection did not finish the handshake in time and was closed. */
  onHandshakeTimeout(peer: string): void;
  /** The listener stopped accepting (reason: one line); it is being replaced. */
  onAcceptStopped?(reason: string): void;
  /** It accepts again. */
  onAcceptResumed?(): void;
}

export interface ListenerOptions extends Partial<PendingLimits> {
  /**
   * Close a connection whose TLS handshake has not completed after this long; shorter when the
   * pending table is more than half full (handshakeDeadlineMs). @default 10000
   */
  readonly handshakeTimeoutMs?: number;
  /** Every connection starts with a PROXY protocol header, v2 or v1 (proxy_protocol.ts). @default false */
  readonly proxyProtocol?: boolean;
  /** The accept watchdog's quiet time before it probes (AcceptWatchdog). @default 5000 */
  readonly watchdogIntervalMs?: number;
  /** Run once a flood at the door has passed (QuietReclaim), to give its memory back. */
  readonly reclaimMemory?: () => void;
}

/**
 * A fatal TLS alert (internal_error) in a plaintext record, sent before any TLS to a newcomer
 * turned away at a cap: the client reads "received fatal alert: InternalError" and can tell
 * the operator the server is at a cap, instead of guessing at its certificate.
 */
export const CAP_ALERT = new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 80]);

/**
 * Alerts being sent at once, at most: a refused socket lingers until its 7 bytes are out (100 ms
 * at most), and under a crowd thousands a second would pile up (and Deno's accept loop pauses
 * while it holds more sockets than its backlog); beyond this bound a newcomer is closed without.
 */
const MAX_ALERTS_IN_FLIGHT = 32;

/** Sends CAP_ALERT and closes (or just closes, under a crowd: see MAX_ALERTS_IN_FLIGHT). */
function refuseAtCap(socket: Socket, alerts: { inFlight: number }): void {
  socket.on("error", () => {});
  if (alerts.inFlight >= MAX_ALERTS_IN_FLIGHT) {
    socket.destroy();
    return;
  }
  alerts.inFlight++;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    alerts.inFlight--;
    socket.destroy();
  };
  socket.end(CAP_ALERT, finish);
  Deno.unrefTimer(setTimeout(finish, 100));
}

/**
 * The listen backlog (the kernel's queue of connections not yet accepted) for a door of
 * `maxPending` places: half of them, at least 16, at most 511 (node's default). Deno 2.9.6 accepts
 * every connection waiting in that queue at once, before any JavaScript runs, and a node:net server
 * whose accept fails with EMFILE never accepts again (docs/security/door.md): so the queue counts
 * against the open-file limit on top of the pending places, and must stay a fraction of them.
 */
export function acceptBacklog(maxPending: number): number {
  return Math.max(16, Math.min(511, Math.floor(maxPending / 2)));
}

/**
 * The descriptors a door of `maxPending` places holds at most: its places, one accept burst of the
 * whole queue (backlog + 1), and the connections being told they were capped.
 */
export function doorDescriptors(maxPending: number): number {
  return maxPending + acceptBacklog(maxPending) + 1 + MAX_ALERTS_IN_FLIGHT;
}

/** Where the watchdog's probe connects: the listening address, or loopback for a wildcard. */
function probeHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "::1";
  return host;
}

/**
 * Accepts mutually authenticated TLS connections, and guards the door before anyone is
 * authenticated: caps per source address, per source network and in total, where a newcomer takes
 * the place of the least advanced pending connection (PendingConnections), and a deadline on the
 * handshake that shortens as the table fills. So a crowd of strangers can neither exhaust the
 * process's descriptors, nor hold memory for long, nor keep a real client out. A watchdog
 * (AcceptWatchdog) replaces the listening socket when it stops accepting.
 */
export class TlsListener {
  #server: net.Server;
  #tls: tls.Server;
  /** The checks every handshake's client certificate passes, resumed or not (see peer_check.ts). */
  #door: { check: PeerCertificateCheck };
  #watchdog: AcceptWatchdog;
  #reclaim: QuietReclaim | undefined;
  #lost = Promise.withResolvers<string>();
  readonly endpoint: Endpoint;
  readonly pending: PendingConnections;

  private constructor(
    server: net.Server,
    tlsServer: tls.Server,
    endpoint: Endpoint,
    pending: PendingConnections,
    door: { check: PeerCertificateCheck },
    watchdog: (listener: TlsListener) => AcceptWatchdog,
  ) {
    this.#server = server;
    this.#tls = tlsServer;
    this.#door = door;
    this.endpoint = endpoint;
    this.pending = pending;
    this.#watchdog = watchdog(this);
  }

  /** False while the listening socket has stopped accepting (until it is replaced). */
  get accepting(): boolean {
    return this.#watchdog.accepting;
  }

  /**
   * Resolves (with one line) when the listening socket stopped accepting and cannot be replaced:
   * a port below 1024 cannot be bound again once root's privileges are gone. The process should
   * then exit with a failure, so that the service manager starts it again.
   */
  get lost(): Promise<string> {
    return this.#lost.promise;
  }

  /** Starts listening; rejects with a clear message when the address cannot be bound. */
  static async listen(
    endpoint: Endpoint,
    material: TlsMaterial,
    events: ListenerEvents,
    options: ListenerOptions = {},
  ): Promise<TlsListener> {
    const pending = new PendingConnections(options);
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    // Pending connections by host:port, to find a TLS socket's slot (at most maxPending entries).
    const slots = new Map<string, PendingSlot>();
    const door = { check: new PeerCertificateCheck(material.ca) };
    // Cap alerts being sent now, by this listener (refuseAtCap).
    const alerts = { inFlight: 0 };
    // Set once the listener exists: the watchdog sees every accepted connection.
    let watchdog: AcceptWatchdog | undefined;
    const reclaim = options.reclaimMemory
      ? new QuietReclaim({ reclaim: options.reclaimMemory })
      : undefined;
    // With PROXY protocol: the client's address behind the front, by the front's host:port.
    const sources = new Map<string, string>();
    // node:tls does the handshakes but never listens itself: a plain TCP server accepts, applies
    // the caps, and hands over only what passes (tls.createServer wrapping connections that were
    // then closed at a cap kept about 30 KB each for good, measured in Deno 2.9.6).
    const tlsServer = tls.createServer(serverTlsOptions(material), (socket) => {
      const slot = slots.get(peerAddressOf(socket));
      slot?.handshakeDone();
      // In Deno the TCP socket under a TLS socket never emits "close" once wrapped: the place is
      // freed when the TLS socket closes (release() is idempotent).
      if (slot) socket.once("close", () => slot.release());
      // Resumption is off: rustls restores a resumed session's certificate unchecked, and Deno's
      // ticket keys live as long as the process and cannot be rotated (they are not ours), so a
      // stolen key would forge a ticket for any client's public certificate. Our client never
      // resumes. Every other session's certificate is checked again against the CA in force.
      const resumed = socket.isSessionReused();
      const accepted = socket.authorized && !resumed &&
        door.check.problem(peerChain(socket)) === undefined;
      if (accepted && slot) {
        events.onStream(
          new TlsSocketStream(socket, undefined, sources.get(peerAddressOf(socket))),
          slot,
        );
        return;
      }
      // Not authorized by the TLS layer: no session; what it sends is discarded unparsed (draining
      // it lets its FIN arrive, so the connection and its place end as soon as it has our Close).
      socket.on("data", () => {});
      const cert = socket.getPeerCertificate(true);
      events.onUnauthorized({
        remote: peerAddressOf(socket),
        certificate: cert?.raw ? new Uint8Array(cert.raw) : undefined,
        resumed,
        refuse: (last) => endSocket(socket, last),
      });
    });
    const onConnection = (socket: Socket) => {
      if (watchdog?.accepted(socket.remotePort)) {
        socket.destroy();
        return;
      }
      reclaim?.accepted();
      const remote = formatRemote(socket.remoteAddress, socket.remotePort);
      const source = socket.remoteAddress ?? "unknown";
      let helloComplete = false;
      // Set when the door itself closes it (displaced, deadline): counted as that, not as a failure.
      let closedByDoor = false;
      const slot = pending.acquire(source, {
        // The TCP socket counts what the TLS layer read through it: 0 means no ClientHello yet.
        bytesReceived: () => socket.bytesRead,
        helloComplete: () => helloComplete,
        evict: (cap) => {
          closedByDoor = true;
          socket.destroy();
          events.onCapped(remote, cap);
        },
      });
      if (typeof slot === "string") {
        refuseAtCap(socket, alerts);
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
      const deadline = handshakeDeadlineMs(
        handshakeTimeoutMs,
        pending.count,
        pending.limits.maxPending,
      );
      entry.startDeadline(deadline, () => {
        closedByDoor = true;
        socket.destroy();
        events.onHandshakeTimeout(remote);
      });
      socket.once("close", entry.release);
      handOver(
        socket,
        options.proxyProtocol ? { key: remote, sources } : undefined,
        // TLS wraps it only once its whole ClientHello is here (first_record.ts): a connection
        // that never sends one is closed without ever costing a TLS wrap.
        (socket) =>
          readFirstRecord(socket).then(
            () => {
              if (socket.destroyed) return;
              helloComplete = true;
              tlsServer.emit("connection", socket);
            },
            (error: Error) => {
              socket.destroy();
              if (!closedByDoor) events.onHandshakeFailure(remote, error.message);
            },
          ),
        (reason) => {
          socket.destroy();
          if (!closedByDoor) events.onHandshakeFailure(remote, reason);
        },
      );
    };
    tlsServer.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      const peer = peerAddressOf(socket);
      slots.get(peer)?.release();
      events.onHandshakeFailure(peer, describeServerHandshakeFailure(error));
      socket.destroy();
    });
    const backlog = acceptBacklog(pending.limits.maxPending);
    const server = await listenOn(endpoint, onConnection, backlog);
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : endpoint.port;
    const bound = { host: endpoint.host, port };
    return new TlsListener(server, tlsServer, bound, pending, door, (listener) => {
      listener.#reclaim = reclaim;
      watchdog = new AcceptWatchdog({
        ...(options.watchdogIntervalMs ? { intervalMs: options.watchdogIntervalMs } : {}),
        probe: (signal) => openProbe(probeHost(bound.host), bound.port, signal),
        restart: async () => {
          // close() frees the port at once, but its callback waits for every connection the
          // server ever accepted (live sessions too): never wait for it here.
          listener.#server.close();
          await new Promise((resolve) => setTimeout(resolve, 50));
          try {
            listener.#server = await listenOn(bound, onConnection, backlog);
          } catch (error) {
            const message = errorMessage(error);
            if (/permission denied|EACCES|os error 13/i.test(message)) {
              listener.#lost.resolve(
                `the listening socket stopped accepting and ${bound.port} cannot be bound ` +
                  `again without root (${message})`,
              );
            }
            throw error;
          }
        },
        onStopped: (reason) => events.onAcceptStopped?.(reason),
        onResumed: () => events.onAcceptResumed?.(),
      });
      return watchdog;
    });
  }

  /** Replaces the certificate, key and CA used for new connections; live ones keep theirs. */
  setMaterial(material: TlsMaterial): void {
    this.#tls.setSecureContext(serverTlsOptions(material));
    this.#door.check = new PeerCertificateCheck(material.ca);
  }

  close(): Promise<void> {
    this.#watchdog[Symbol.dispose]();
    this.#reclaim?.[Symbol.dispose]();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** A TCP server on `endpoint` calling `onConnection`; rejects with one line when it cannot bind. */
function listenOn(endpoint: Endpoint, onConnection: (socket: Socket) => void, backlog: number) {
  const server = net.createServer(onConnection);
  return new Promise<net.Server>((resolve, reject) => {
    server.once("error", (error: Error) => {
      reject(
        new Error(
          `cannot listen on ${formatRemote(endpoint.host, endpoint.port)}: ${
            describeTlsError(error)
          }`,
        ),
      );
    });
    server.listen({ port: endpoint.port, host: endpoint.host, backlog }, () => resolve(server));
  });
}

/** Connects to host:port for the watchdog; resolves once connected, rejects when `signal` aborts. */
function openProbe(host: string, port: number, signal: AbortSignal): Promise<ProbeConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (error: unknown) => {
      socket.destroy();
      reject(error);
    };
    const onAbort = () => fail(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    socket.on("error", fail);
    socket.once("connect", () => {
      signal.removeEventListener("abort", onAbort);
      resolve({ localPort: socket.localPort ?? 0, close: () => socket.destroy() });
    });
  });
}

/** The client's certificate and the chain it sent (DER), leaf first; at most 5. */
function peerChain(socket: tls.TLSSocket): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw && chain.length < 5) {
    chain.push(new Uint8Array(cert.raw));
    if (cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return chain;
}
