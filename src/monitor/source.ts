/**
 * What the monitor reads, and nothing more: the counters registry, the certificate store's
 * current state, and the tunnel's own state once it has started. The monitor binds its port
 * before the tunnel starts (so it binds while the process still has its privileges); until
 * `attach()` it reports "starting".
 *
 * @module
 */

import type { CountersSnapshot } from "../counters/registry.ts";
import type { CertificateState } from "../pki/certificate_store.ts";

/** Whether the process does its job now, and one line saying why not. */
export interface Readiness {
  readonly ready: boolean;
  /** E.g. "listening on 0.0.0.0:443", "not connected to vpn.example.com:443 yet". */
  readonly reason: string;
}

/** What a running server or client tells the monitor. */
export interface TunnelState {
  /** Whether the TUN device runs with offloads. */
  readonly offload: boolean;
  readiness(): Readiness;
  /** TCP SYNs whose MSS the TUN lowered: read from the kernel, and written to it. */
  mssClamped?(): { readonly read: number; readonly written: number };
  /** Client: the server of the open session and its place in `server:` (1: the first). */
  activeServer?(): ActiveServer | undefined;
}

/** The server a client's session is with. */
export interface ActiveServer {
  /** `host:port` as the configuration lists it. */
  readonly server: string;
  readonly position: number;
}

export interface MonitorSourceOptions {
  readonly mode: "server" | "client";
  readonly counters: { snapshot(now?: number): CountersSnapshot };
  readonly certificates: { state(): CertificateState };
}

export class MonitorSource {
  readonly mode: "server" | "client";
  readonly #counters: MonitorSourceOptions["counters"];
  readonly #certificates: MonitorSourceOptions["certificates"];
  #tunnel: TunnelState | undefined;
  #stopping = false;

  constructor(options: MonitorSourceOptions) {
    this.mode = options.mode;
    this.#counters = options.counters;
    this.#certificates = options.certificates;
  }

  /** The tunnel has started: readiness and offload come from it from now on. */
  attach(tunnel: TunnelState): void {
    this.#tunnel = tunnel;
  }

  /** Shutdown has begun: not ready any more, so balancers stop sending. */
  stopping(): void {
    this.#stopping = true;
  }

  snapshot(): CountersSnapshot {
    return this.#counters.snapshot();
  }

  certificates(): CertificateState {
    return this.#certificates.state();
  }

  /** Undefined until the tunnel has started. */
  offload(): boolean | undefined {
    return this.#tunnel?.offload;
  }

  /** SYNs clamped so far (zero until the tunnel has started). */
  mssClamped(): { readonly read: number; readonly written: number } {
    return this.#tunnel?.mssClamped?.() ?? { read: 0, written: 0 };
  }

  /** Client: the server of the open session; undefined without one (and on a server). */
  activeServer(): ActiveServer | undefined {
    return this.#tunnel?.activeServer?.();
  }

  readiness(): Readiness {
    if (this.#stopping) return { ready: false, reason: "shutting down" };
    if (this.#tunnel === undefined) return { ready: false, reason: "starting" };
    return this.#tunnel.readiness();
  }
}
