/**
 * The client's transport port: what it needs of the network. `main.ts` hands it the TLS dialer
 * (src/transport/dialer.ts); tests hand it tests/lib/fake_network.ts.
 *
 * @module
 */

import type { Endpoint } from "../config/types.ts";
import type { SecureStream } from "../transport/secure_stream.ts";

export interface DialLimits {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Abandons the attempt at once (the client is stopping). */
  readonly signal: AbortSignal;
  /** Told what a server's name resolved to, at every dial (the client's underlay, underlay.ts). */
  readonly onResolved?: (host: string, addresses: readonly string[]) => void;
  /** Why a resolved address must not be dialled (it is routed through the tunnel), or undefined. */
  readonly refuseAddress?: (address: string) => string | undefined;
}

/** Connects to a server: a mutually authenticated stream whose `info` names its certificate. */
export interface ClientTransport {
  /** Rejects with a one-line reason (refused, timed out, certificate refused...). */
  dial(server: Endpoint, limits: DialLimits): Promise<SecureStream>;
}
