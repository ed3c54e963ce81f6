/**
 * Events and caps for a test or a tool that runs the product's listener (src/transport/
 * listener.ts) for what it accepts, not for how it refuses: the accepted streams go to a callback
 * with their pending place freed, everything else is refused or ignored.
 *
 * In tools/ so that both the benchmarks and tests/ can import it (tools/ imports nothing of
 * tests/).
 *
 * @module
 */
import type { ListenerEvents } from "../../src/transport/listener.ts";
import type { PendingLimits } from "../../src/transport/pending.ts";
import type { SecureStream } from "../../src/transport/secure_stream.ts";

/** Listener events for tests that only want the accepted streams: slots are freed at once. */
export function acceptOnly(onStream: (stream: SecureStream) => void): ListenerEvents {
  return {
    onStream: (stream, slot) => {
      slot.release();
      onStream(stream);
    },
    onUnauthorized: (peer) => peer.refuse(),
    onHandshakeFailure: () => {},
    onCapped: () => {},
    onHandshakeTimeout: () => {},
  };
}

/**
 * Pending caps (in all, per source, per IPv4 network) that a flood from one loopback address never
 * reaches, for measuring what its connections cost rather than how the door turns them away.
 */
export const NEVER_CAPPED: Pick<
  PendingLimits,
  "maxPending" | "maxPendingPerSource" | "maxPendingPerNetwork4"
> = {
  maxPending: 1 << 20,
  maxPendingPerSource: 1 << 20,
  maxPendingPerNetwork4: 1 << 20,
};
