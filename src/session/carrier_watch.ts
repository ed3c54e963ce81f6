/**
 * A session's watch on its carrier's TCP socket: the CarrierTuner (buffers sized from the
 * delivery rate, health for reports), the check that the client's local address is still there,
 * and the TLS overhead guard fed from the same TCP_INFO reads. The session decides what an alarm
 * means (it closes); this file only wires the readings to the checks.
 *
 * @module
 */
import type { CarrierPolicy } from "../transport/congestion_control.ts";
import type { TcpEndpoints, TcpHealth } from "../transport/carrier_socket.ts";
import {
  CarrierTuner,
  IDLE_READ_CHECKS,
  QUIET_KNOWN_READ_CHECKS,
  type WriteWindow,
} from "./carrier_tuner.ts";
import { TlsOverheadGuard } from "./tls_overhead.ts";

/** What the session received, for the TLS overhead guard. */
export interface PlainReceived {
  /** Plaintext bytes that reached the frame receiver. */
  readonly plainBytes: number;
  /** Frames the peer earned an allowance for (control and data frames; malformed ones do not). */
  readonly frames: number;
}

export interface CarrierWatchOptions {
  readonly policy: CarrierPolicy | undefined;
  readonly endpoints: TcpEndpoints | undefined;
  readonly queue: WriteWindow;
  /** Bytes sent so far (the tuner reads TCP_INFO every tick while they grow). */
  readonly sent: () => number;
  /**
   * Bytes read from the connection so far (TLS records), where the runtime tells (a server's
   * sockets): then a quiet connection is read seldom, since any byte it brings is seen at once.
   */
  readonly wireBytes?: () => number | undefined;
  /** Set on a client: told when its local address went away (the host moved). */
  readonly onAddressGone: (() => void) | undefined;
  readonly received: () => PlainReceived;
  /** Told why the peer's TLS layer sends far more than its frames need (tls_overhead.ts). */
  readonly onOverhead: (message: string) => void;
}

/** A started watch: the tuner (for reports), what the session calls when it sends, the stop. */
export interface CarrierWatch {
  readonly tuner: CarrierTuner;
  /** Data was sent: the tuner reads every tick while it goes on. */
  readonly touch: () => void;
  readonly stop: () => void;
}

/** Starts watching the carrier; undefined when there is no shim or no TCP socket to find. */
export function watchCarrier(options: CarrierWatchOptions): CarrierWatch | undefined {
  const guard = new TlsOverheadGuard();
  const { sent, wireBytes } = options;
  // A client that may move keeps its address check once a second.
  const quietKnown = wireBytes?.() !== undefined && !options.onAddressGone;
  return CarrierTuner.start(
    options.policy,
    options.endpoints,
    options.queue,
    quietKnown ? { sent, received: wireBytes! } : { sent },
    options.onAddressGone,
    (health: TcpHealth) => {
      const { plainBytes, frames } = options.received();
      const verdict = guard.observe({
        wireBytes: health.bytesReceived - health.receiveQueued,
        plainBytes,
        frames,
      }, performance.now());
      if (verdict) options.onOverhead(verdict.message);
    },
    quietKnown ? QUIET_KNOWN_READ_CHECKS : IDLE_READ_CHECKS,
  );
}
