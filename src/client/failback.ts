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
import { formatEndpoint } from "../config/endpoint.ts";
import { CloseCode } from "../frame/control.ts";
import { errorMessage } from "../base/error_message.ts";
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

/** The current session, as failback ends it. */
export interface MovableSession {
  readonly ended: Promise<unknown>;
  close(code: CloseCode, message: string): void;
}

/** Where failback says what it does (a logger). */
export interface FailbackLog {
  info(message: string, properties: Record<string, unknown>): void;
}

/**
 * {@linkcode awaitFailback} for the client's `session`: logs each failed try and the move, and
 * when a better server answered, closes `session` and returns the connection to that server
 * (the rotation's next round then starts after it).
 */
export async function failBackWhenDue(
  session: MovableSession,
  options: Pick<FailbackOptions, "rotation" | "dial"> & { readonly log: FailbackLog },
): Promise<FailbackMove | undefined> {
  const { rotation, dial, log } = options;
  const move = await awaitFailback({
    rotation,
    ended: session.ended,
    dial,
    onFailed: (target, error) =>
      log.info("server {number} {server} is still unavailable: {reason}", {
        number: target.number,
        server: formatEndpoint(target.endpoint),
        reason: errorMessage(error),
      }),
  });
  if (!move) return undefined;
  const server = formatEndpoint(move.target.endpoint);
  log.info("returning to server {number} {server}, preferred to this one", {
    number: move.target.number,
    server,
  });
  rotation.moveTo(move.target.number);
  session.close(CloseCode.Shutdown, `client moves to its preferred server ${server}`);
  return move;
}
