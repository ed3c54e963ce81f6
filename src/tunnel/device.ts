/**
 * The device port: what server and client mode need of their TUN device. `main.ts` hands them
 * the real one (src/tun/from_config.ts); tests hand them tests/lib/fake_device.ts.
 *
 * @module
 */

import type { DataFrameWriter } from "../frame/receiver.ts";
import type { IpPrefix } from "../ip/prefix.ts";
import type { FrameSource, MssClampCounters } from "../tun/device.ts";
import type { FrameConverter } from "../tun/offload.ts";

/**
 * An open, configured tunnel interface: frames in (FrameSource, read by the TunReader) and out
 * (DataFrameWriter, written by each session), routes through it, its counters, and its end.
 */
export interface TunnelDevice extends FrameSource, DataFrameWriter {
  /** Interface name, e.g. tun0. */
  readonly name: string;
  /** The tunnel addresses the interface carries, with the tunnel networks' prefixes. */
  readonly addresses: readonly IpPrefix[];
  /** Turns offloaded frames into plain ones for a peer without offloads (one per reader). */
  readonly converter: FrameConverter;
  /** Whether close() was called. */
  readonly closed: boolean;
  /**
   * Routes `route` through the interface with `metric` (0: the kernel's default; a pool's
   * freshness metric, src/server/pool_routes.ts); throws a one-line reason when it cannot.
   */
  addRoute(route: IpPrefix, metric?: number): void;
  /** Removes this interface's route for `route` with `metric`; throws a one-line reason when it cannot. */
  removeRoute(route: IpPrefix, metric?: number): void;
  /** SYNs whose MSS the device lowered so far (zeros once closed). */
  mssClamped(): MssClampCounters;
  /** Removes the interface; safe to call twice. */
  close(): void;
}

/** The revocation list of the certificate set: whose certificates to refuse now. */
export interface PeerRevocations {
  /** Whether the current CRL lists this serial (upper-case hex). */
  isRevoked(serial: string): boolean;
  /** Calls `listener` after each reload of the set; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}
