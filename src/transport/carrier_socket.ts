/**
 * The carrier's TCP socket under a TLS stream, reached through the shim (Deno gives no descriptor
 * for a node:tls socket): found by its two endpoints among the process's descriptors, and found
 * again before each use, so a number reused after the socket closed is never touched. What it
 * offers: TCP_NOTSENT_LOWAT (how many unsent bytes the kernel may hold), the congestion control
 * and TCP_INFO (the carrier's health).
 */
import type { TcpSocketSymbols } from "../native/tcp_socket.ts";
import { parseAddress } from "../ip/address.ts";

/** Both ends of a TCP connection, as node's sockets report them. */
export interface TcpEndpoints {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** The carrier's state from TCP_INFO. */
export interface TcpHealth {
  /** Smoothed round trip and its variation, ms. */
  readonly srttMs: number;
  readonly rttvarMs: number;
  readonly minRttMs: number;
  /** Segments retransmitted over the connection's life. */
  readonly retransmits: number;
  /** Segments thought lost now. */
  readonly lost: number;
  /** Congestion window, segments, and the segment size. */
  readonly cwnd: number;
  readonly mss: number;
  /** The last delivery rate sample and the pacing rate, bits per second. */
  readonly deliveryRateBps: number;
  readonly pacingRateBps: number;
  /** Bytes the kernel holds that were never sent. */
  readonly notsentBytes: number;
  /** Segments sent and not yet acknowledged. */
  readonly unacked: number;
  readonly bytesAcked: number;
  readonly bytesRetransmitted: number;
  /** Payload bytes received in order over the connection's life (TLS records as they came). */
  readonly bytesReceived: number;
  /** Of those, bytes still in the kernel's receive queue, not yet read by the process. */
  readonly receiveQueued: number;
}

const FIELDS = 15;

/** "::ffff:1.2.3.4" as node may report it, the zone of "fe80::1%eth0" dropped. */
function addressBytes(text: string): Uint8Array | undefined {
  const bare = text.replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return parseAddress(mapped ? mapped[1]! : bare);
}

export class CarrierSocket {
  #lib: TcpSocketSymbols;
  #local: Uint8Array;
  #remote: Uint8Array;
  #ends: TcpEndpoints;
  #fd: number;
  #info = new BigUint64Array(FIELDS);

  private constructor(
    lib: TcpSocketSymbols,
    ends: TcpEndpoints,
    local: Uint8Array,
    remote: Uint8Array,
    fd: number,
  ) {
    this.#lib = lib;
    this.#ends = ends;
    this.#local = local;
    this.#remote = remote;
    this.#fd = fd;
  }

  /** The socket with these endpoints, or undefined when this process has none (or they are unknown). */
  static find(lib: TcpSocketSymbols, ends: TcpEndpoints): CarrierSocket | undefined {
    const local = addressBytes(ends.localAddress);
    const remote = addressBytes(ends.remoteAddress);
    if (!local || !remote) return undefined;
    const socket = new CarrierSocket(lib, ends, local, remote, -1);
    return socket.#descriptor() === undefined ? undefined : socket;
  }

  /** The descriptor now, checked (or found again); undefined once the socket is gone. */
  #descriptor(): number | undefined {
    const fd = this.#lib.symbols.sss_tcp_find(
      this.#fd,
      this.#local,
      this.#local.length,
      this.#ends.localPort,
      this.#remote,
      this.#remote.length,
      this.#ends.remotePort,
    );
    if (fd < 0) return undefined;
    this.#fd = fd;
    return fd;
  }

  /** Sets TCP_NOTSENT_LOWAT; false when the socket is gone or the kernel refused. */
  setNotsentLowat(bytes: number): boolean {
    const fd = this.#descriptor();
    return fd !== undefined && this.#lib.symbols.sss_tcp_set_notsent_lowat(fd, bytes) === 0;
  }

  /** Sets the congestion control; returns 0 or the negative errno (-ENOENT: not available). */
  setCongestionControl(name: string): number {
    const fd = this.#descriptor();
    if (fd === undefined) return -9; // EBADF
    return this.#lib.symbols.sss_tcp_set_congestion(fd, new TextEncoder().encode(name + "\0"));
  }

  /** The congestion control in use, or undefined when the socket is gone. */
  congestionControl(): string | undefined {
    const fd = this.#descriptor();
    if (fd === undefined) return undefined;
    const out = new Uint8Array(32);
    const length = this.#lib.symbols.sss_tcp_get_congestion(fd, out, out.length);
    return length < 0 ? undefined : new TextDecoder().decode(out.subarray(0, length));
  }

  /**
   * Tunes the connection for a thin stream (native/tcp_socket.h): minimum retransmission timeout
   * `rtoMinUs`, linear timeouts. Returns 0 or the negative errno of the first option refused.
   */
  setThinStream(rtoMinUs: number): number {
    const fd = this.#descriptor();
    if (fd === undefined) return -9; // EBADF
    return this.#lib.symbols.sss_tcp_set_thin_stream(fd, rtoMinUs);
  }

  /** Caps the pacing rate (SO_MAX_PACING_RATE) at `bitsPerSecond`, 0: no cap; false if refused. */
  setMaxPacingRate(bitsPerSecond: number): boolean {
    const fd = this.#descriptor();
    const bytes = BigInt(Math.max(0, Math.round(bitsPerSecond / 8)));
    return fd !== undefined && this.#lib.symbols.sss_tcp_set_max_pacing_rate(fd, bytes) === 0;
  }

  /** Sets TCP_USER_TIMEOUT; false when the socket is gone or the kernel refused. */
  setUserTimeout(ms: number): boolean {
    const fd = this.#descriptor();
    return fd !== undefined && this.#lib.symbols.sss_tcp_set_user_timeout(fd, ms) === 0;
  }

  /**
   * Whether the connection's local address is still on an interface (false: it was removed, as
   * when a laptop changes networks; the connection is dead and a new one must be dialled).
   * Undefined when the socket is gone or the question cannot be answered.
   */
  localAddressPresent(): boolean | undefined {
    const fd = this.#descriptor();
    if (fd === undefined) return undefined;
    const present = this.#lib.symbols.sss_tcp_local_address_present(fd);
    return present < 0 ? undefined : present === 1;
  }

  /** TCP_INFO now, or undefined when the socket is gone. */
  health(): TcpHealth | undefined {
    const fd = this.#descriptor();
    if (fd === undefined || this.#lib.symbols.sss_tcp_info(fd, this.#info) !== 0) return undefined;
    const v = (i: number) => Number(this.#info[i]!);
    return {
      srttMs: v(0) / 1000,
      rttvarMs: v(1) / 1000,
      minRttMs: v(2) / 1000,
      retransmits: v(3),
      lost: v(4),
      cwnd: v(5),
      mss: v(6),
      deliveryRateBps: v(7) * 8,
      pacingRateBps: v(8) * 8,
      notsentBytes: v(9),
      unacked: v(10),
      bytesAcked: v(11),
      bytesRetransmitted: v(12),
      bytesReceived: v(13),
      receiveQueued: v(14),
    };
  }
}
