/**
 * Failback: while a client's session is with a server that is not the first of its list, it
 * tries (after the hold-down, see ServerRotation) to reach a better one, and hands back the
 * first TLS connection that succeeds; the client then moves its session there. The TLS
 * handshake is done before the current session is closed, so the move costs the tunnel only
 * the new session's Hello exchange.
 *
 * @module
 */

import type { SecureStream } from "../transport/secure_stream.ts";
import type { Endpoint } from "../config/types.ts";
import type { RankedServer, ServerRotation } from "./server_rotation.ts";

export interface FailbackOptions {
  readonly rotation: ServerRotation;
  /** Settles when the current session ends: no failback after that. */
  readonly ended: Promise<unknown>;
  /** Dials a server and completes the TLS handshake (the client's own dialer). */
  readonly dial: (endpoint: Endpoint) => Promise<SecureStream>;
  /** Told each try that failed. */
  readonly onFailed?: (target: RankedServer, error: unknown) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A connection to a better server, ready for a session. */
export interface FailbackMove {
  readonly stream: SecureStream;
  readonly target: RankedServer;
}

/**
 * Waits for the failback tries of the current session; resolves with a connection to a better
 * server, or undefined once the session has ended (or when failback is off). Leaves no timer.
 */
export async function awaitFailback(options: FailbackOptions): Promise<FailbackMove | undefined> {
  const { rotation, dial } = options;
  const now = options.now ?? Date.now;
  let over = false;
  let wake = () => {};
  options.ended.then(() => {
    over = true;
    wake();
  }, () => {
    over = true;
    wake();
  });
  while (!over) {
    const wait = rotation.failbackDueIn(now());
    if (wait === undefined) return undefined;
    if (wait > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, wait);
      });
      clearTimeout(timer);
      continue;
    }
    for (const target of rotation.failbackTargets(now())) {
      if (over) return undefined;
      try {
        const stream = await dial(target.endpoint);
        if (over) {
          stream.destroy();
          return undefined;
        }
        return { stream, target };
      } catch (error) {
        options.onFailed?.(target, error);
      }
    }
    rotation.failbackFailed(now());
  }
  return undefined;
}
