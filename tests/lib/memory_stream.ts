/** An in-memory SecureStream pair (fake transport) for session tests without TLS. */
import type { ConnectionInfo, SecureStream } from "../../src/transport/secure_stream.ts";

export class MemoryStream implements SecureStream {
  readonly info: ConnectionInfo;
  readonly closed: Promise<Error | undefined>;
  peer!: MemoryStream;
  written: Uint8Array[] = [];
  /** When true, bytes written to this stream never reach the peer (a silent, dead peer). */
  muted = false;
  #handler: ((chunk: Uint8Array) => void) | undefined;
  #queued: Uint8Array[] = [];
  #resolveClosed!: (error: Error | undefined) => void;
  #open = true;

  /** `name`: the peer's certificate name; `info` overrides the rest of what the peer shows. */
  constructor(name: string, info: Partial<ConnectionInfo> = {}) {
    this.info = {
      protocol: "TLSv1.3",
      cipher: "TLS_AES_256_GCM_SHA384",
      peerName: name,
      peerFingerprint: `fp-${name}`,
      peerSerial: "0A",
      remote: `${name}:1`,
      ...info,
    };
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.#handler = handler;
    for (const chunk of this.#queued.splice(0)) handler(chunk);
  }

  deliver(chunk: Uint8Array): void {
    if (!this.#open) return;
    if (this.#handler) this.#handler(chunk);
    else this.#queued.push(chunk);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.#open || this.muted) return Promise.resolve();
    const copy = bytes.slice();
    this.written.push(copy);
    // Deliver asynchronously, as a socket would.
    return Promise.resolve().then(() => this.peer.deliver(copy));
  }

  end(): void {
    this.destroy();
  }

  destroy(error?: Error): void {
    if (!this.#open) return;
    this.#open = false;
    this.#resolveClosed(error);
    queueMicrotask(() => this.peer.destroy());
  }
}

/**
 * Two connected streams: the first is the client's end (its info describes the server), the
 * second the server's end (its info describes the client).
 */
export function memoryStreamPair(
  serverSeen: Partial<ConnectionInfo> = {},
  clientSeen: Partial<ConnectionInfo> = {},
): [MemoryStream, MemoryStream] {
  const a = new MemoryStream("client", serverSeen);
  const b = new MemoryStream("server", clientSeen);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
