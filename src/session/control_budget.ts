/**
 * How many control frames (Hello, Ping, Pong, Close, lane requests and tokens) a peer may send:
 * keepalive needs one Ping every few seconds; a peer far beyond that is flooding, costs every other
 * session CPU, and is closed.
 *
 * @module
 */
import { FrameError } from "../frame/codec.ts";
import { TokenBucket } from "./token_bucket.ts";

export const CONTROL_FRAMES_PER_SECOND = 50;
const CONTROL_FRAMES_BURST = 200;

/** One session's allowance of control frames. */
export class ControlBudget {
  #bucket = new TokenBucket(CONTROL_FRAMES_BURST, CONTROL_FRAMES_PER_SECOND);

  /** Counts one control frame received at `nowMs`; a FrameError when the peer is flooding. */
  charge(nowMs: number): void {
    if (this.#bucket.take(nowMs)) return;
    throw new FrameError(
      `more than ${CONTROL_FRAMES_PER_SECOND} control frames a second (a flood, not keepalive)`,
    );
  }
}
