import type { TLSSocket } from "node:tls";
import { ReceivedGarbage } from "../runtime/garbage.ts";
import type { TcpEndpoints } from "./carrier_socket.ts";

/** What both ends learn about an authenticated connection. */
export interface ConnectionInfo {
  /** e.g. TLSv1.3 */
  readonly protocol: string;
  /** e.g. TLS_AES_256_GCM_SHA384 */
  readonly cipher: string;
  /** Common name of the peer's certificate. */
  readonly peerName: string;
  /** SHA-256 fingerprint of the peer's certificate, colon-separated hex. */
  readonly peerFingerprint: string;
  /** Serial number of the peer's certificate, upper-case hex (for revocation checks). */
  readonly peerSerial: string;
  /** Peer address as host:port. */
  readonly remote: string;
}

/** An authenticated, encrypted byte stream to one peer: the seam between session and TLS. */
export interface SecureStream {
  readonly info: ConnectionInfo;
  /** The carrier TCP connection's two ends, when known (to tune its socket, carrier_socket.ts). */
  readonly endpoints?: TcpEndpoints;
  /** Bytes read from the connection so far (TLS records), where the runtime tells. */
  readonly wireBytes?: number | undefined;
  /** Registers the receiver of incoming bytes; chunks are only valid during the call. */
  onData(handler: (chunk: Uint8Array) => void): void;
  /** Queues bytes; resolves once the stream no longer needs `bytes`, so it may be reused. */
  write(bytes: Uint8Array): Promise<void>;
  /** Resolves when the stream has ended, with the error that ended it, if any. */
  readonly closed: Promise<Error | undefined>;
  /** Ends the stream after queued writes. */
  end(): void;
  /** Ends the stream at once. */
  destroy(): void;
}

/** How long an ended socket waits for the peer's half of the close before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

/**
 * Ends a socket after its queued writes (and `last`, when given), and destroys it should the peer
 * never answer the close: such a peer must not hold the socket forever.
 */
export function endSocket(socket: TLSSocket, last?: Uint8Array): void {
  if (last === undefined) socket.end();
  else socket.end(last);
  Deno.unrefTimer(setTimeout(() => socket.destroy(), CLOSE_GRACE_MS));
}

/** Formats the peer's address for logs: 10.0.0.1:443 or [fd00::1]:443. */
export function formatRemote(address: string | undefined, port: number | undefined): string {
  if (!address) return "unknown peer";
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Bytes a TLS socket has read from its TCP connection (records as they came), where the runtime
 * tells: node:tls keeps the TCP socket it wraps as `_parent` (Deno 2.9.6 as node does).
 */
export function wireBytesOf(socket: TLSSocket): (() => number) | undefined {
  const parent = (socket as unknown as { _parent?: { bytesRead?: unknown } | null })._parent;
  if (typeof parent?.bytesRead !== "number") return undefined;
  return () => (parent.bytesRead as number | undefined) ?? 0;
}

/**
 * Hands received chunks to the session's handler, keeping copies of any that arrive before the
 * session listens. It is fed either by `data` events or, for sockets it reads for itself, through
 * node's `onread` option (see `onread`).
 *
 * The garbage a chunk leaves is counted by the TLS records read for it (countWire), not by its
 * plaintext: the runtime reads the TCP connection into a fresh buffer of up to 64 KiB a read, kept
 * until the next collection. A peer whose records carry next to nothing (records padded to 16 KiB
 * around a 40-byte frame) left 30 MB of such dead buffers per 40 MB sent: counted by plaintext,
 * the collection (every GARBAGE_BUDGET) never came, and glibc kept the heap they grew for good
 * (the TLS flood test: RSS 98 -> 139 MiB, still 139 a minute later).
 */
export class IncomingChunks {
  #handler: ((chunk: Uint8Array) => void) | undefined;
  #early: Uint8Array[] = [];
  #earlyBytes = 0;
  #garbage: ReceivedGarbage;
  #buffer: Uint8Array | undefined;
  #wire: (() => number) | undefined;
  #wireNoted = 0;

  constructor(garbage: ReceivedGarbage = new ReceivedGarbage()) {
    this.#garbage = garbage;
  }

  /** Bytes received before anyone listened, kept until listen(). */
  get heldBytes(): number {
    return this.#earlyBytes;
  }

  /**
   * The `onread` option for tls.connect: node:tls decrypts into this one reused buffer and calls
   * back, instead of pushing a fresh Buffer per chunk through its stream machinery. Measured in
   * one run between two namespaces (3 GiB, node:tls both ends): 5.5-5.7 Gbit/s received against
   * 2.0-2.4 with `data` events, at a third less CPU. node:tls honours it only for sockets that
   * tls.connect creates, so the server's accepted sockets keep `data` events.
   */
  onread(
    size = 65536,
  ): { buffer: Uint8Array; callback: (bytes: number, buffer: Uint8Array) => boolean } {
    this.#buffer ??= new Uint8Array(size);
    return {
      buffer: this.#buffer,
      callback: (bytes, buffer) => {
        this.deliver(buffer.subarray(0, bytes));
        return true;
      },
    };
  }

  /** Counts garbage by `wireBytes` (bytes read from the connection so far) from now on. */
  countWire(wireBytes: () => number): void {
    this.#wire = wireBytes;
    this.#wireNoted = wireBytes();
  }

  /** Passes a chunk on; it is only valid during the call. */
  deliver(chunk: Uint8Array): void {
    if (this.#wire) {
      const wire = this.#wire();
      this.#garbage.note(Math.max(chunk.length, wire - this.#wireNoted));
      this.#wireNoted = wire;
    } else {
      this.#garbage.note(chunk.length);
    }
    if (this.#handler) {
      this.#handler(chunk);
    } else {
      this.#early.push(chunk.slice());
      this.#earlyBytes += chunk.length;
    }
  }

  listen(handler: (chunk: Uint8Array) => void): void {
    this.#handler = handler;
    this.#earlyBytes = 0;
    for (const chunk of this.#early.splice(0)) handler(chunk);
  }
}

/** Size of the one receive buffer of a socket that reads into its own (readIntoOwnBuffer). */
const RECEIVE_BUFFER_BYTES = 65536;
/**
 * Bytes an accepted connection carries before it gets that buffer: more than a Hello and a few
 * keepalives, so connections that never carry data cost no more than before (bounds.md).
 */
export const OWN_BUFFER_AFTER_BYTES = 65536;

/**
 * Makes an already connected node:tls socket (a server's accepted one, which the `onread` option
 * cannot reach) decrypt into one reused buffer handed to `incoming`, the way `onread` does for
 * sockets tls.connect opens: node's net.Socket keeps the `onread` buffer and callback under the
 * symbols `kBuffer` and `kBufferCb`, present (null) on every socket, and its handle's
 * `useUserBuffer` makes reads land there. Deno 2.9.6's stream_base_commons honours them for any
 * socket. Bytes already buffered by the stream are delivered first. Returns false, and changes
 * nothing, where the runtime does not have these (then `data` events remain).
 */
export function readIntoOwnBuffer(socket: TLSSocket, incoming: IncomingChunks): boolean {
  const symbols = Object.getOwnPropertySymbols(socket);
  const kBuffer = symbols.find((s) => s.description === "kBuffer");
  const kBufferCb = symbols.find((s) => s.description === "kBufferCb");
  const target = socket as unknown as Record<symbol, unknown> & {
    _handle?: { useUserBuffer?: (buffer: Uint8Array) => void } | null;
  };
  const handle = target._handle;
  if (!kBuffer || !kBufferCb || typeof handle?.useUserBuffer !== "function") return false;
  for (let chunk = socket.read(); chunk !== null; chunk = socket.read()) incoming.deliver(chunk);
  const { buffer, callback } = incoming.onread(RECEIVE_BUFFER_BYTES);
  target[kBuffer] = buffer;
  target[kBufferCb] = callback;
  handle.useUserBuffer(buffer);
  socket.resume();
  return true;
}

/** SecureStream over a node:tls socket whose handshake has completed. */
export class TlsSocketStream implements SecureStream {
  readonly info: ConnectionInfo;
  readonly endpoints?: TcpEndpoints;
  readonly closed: Promise<Error | undefined>;
  #socket: TLSSocket;
  #incoming: IncomingChunks;
  #ownBuffer = false;
  #wire: (() => number) | undefined;

  /**
   * `incoming`: the IncomingChunks whose `onread` the socket was created with; without it the
   * stream listens to the socket's `data` events. `remote`: the peer's address when it is not
   * the socket's own (a client behind a PROXY protocol front).
   */
  constructor(socket: TLSSocket, incoming?: IncomingChunks, remote?: string) {
    this.#socket = socket;
    socket.setNoDelay(true);
    const cert = socket.getPeerCertificate();
    const cipher = socket.getCipher();
    this.info = {
      protocol: socket.getProtocol() ?? "unknown",
      cipher: cipher?.standardName ?? cipher?.name ?? "unknown",
      peerName: typeof cert?.subject?.CN === "string" ? cert.subject.CN : "(no common name)",
      peerFingerprint: cert?.fingerprint256 ?? "",
      peerSerial: (cert?.serialNumber ?? "").toUpperCase(),
      remote: remote ?? formatRemote(socket.remoteAddress, socket.remotePort),
    };
    const { localAddress, localPort, remoteAddress, remotePort } = socket;
    if (localAddress && localPort && remoteAddress && remotePort) {
      this.endpoints = { localAddress, localPort, remoteAddress, remotePort };
    }
    // A TLS error on an open connection (a record that does not decrypt, too many KeyUpdates) is
    // fatal: node:tls sends the alert but in Deno keeps the socket until the peer goes, so the
    // stream ends here, at the error.
    this.closed = new Promise((resolve) => {
      socket.once("close", () => resolve(undefined));
      socket.once("error", (error: Error) => {
        resolve(error);
        socket.destroy();
      });
    });
    const wire = this.#wire = wireBytesOf(socket);
    if (incoming) {
      this.#incoming = incoming;
      if (wire) incoming.countWire(wire);
    } else {
      // An accepted socket starts with `data` events and moves to one reused buffer
      // (readIntoOwnBuffer) once it has carried OWN_BUFFER_AFTER_BYTES: a connection that sends
      // little (a silent or idle peer, one before its Hello) never holds the 64 KiB buffer.
      const events = this.#incoming = new IncomingChunks();
      if (wire) events.countWire(wire);
      let carried = 0;
      let moving = false;
      const onChunk = (chunk: Uint8Array) => {
        events.deliver(chunk);
        carried += chunk.length;
        if (carried < OWN_BUFFER_AFTER_BYTES || moving) return;
        moving = true;
        // After this event: until the listener goes, chunks keep arriving through it.
        queueMicrotask(() => {
          if (socket.destroyed) return;
          socket.off("data", onChunk);
          if (readIntoOwnBuffer(socket, events)) this.#ownBuffer = true;
          else socket.on("data", onChunk);
        });
      };
      socket.on("data", onChunk);
    }
  }

  /** Whether an accepted socket decrypts into its one reused buffer yet. */
  get readsIntoOwnBuffer(): boolean {
    return this.#ownBuffer;
  }

  /** Bytes read from the TCP connection (TLS records), where the runtime tells (wireBytesOf). */
  get wireBytes(): number | undefined {
    return this.#wire?.();
  }

  /** Bytes received before onData() was called, held for it. */
  get heldBytes(): number {
    return this.#incoming.heldBytes;
  }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.#incoming.listen(handler);
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.#socket.destroyed) return resolve();
      // A failed write also ends the socket; `closed` reports why.
      this.#socket.write(bytes, () => resolve());
    });
  }

  end(): void {
    endSocket(this.#socket);
  }

  destroy(): void {
    this.#socket.destroy();
  }
}
