/**
 * The client's side of a sparse lane (src/session/sparse_lane.ts): once its session is open and
 * the server's Hello carried a lane token, a second connection to the same server, with the same
 * certificate, whose Hello names the token. Any failure (dial, another server's certificate, a
 * refusal) leaves the session as it was: sparse packets stay on the main connection.
 *
 * A lane that dies, or an attempt that fails, is tried again while the session lasts, when both
 * Hellos list `lane-renew`: each attempt asks the server for a fresh token on the main connection
 * (LaneRequest, LaneToken), since a token is spent by any use. Right away after a lane that lived
 * LANE_STABLE_MS, else after a backoff (1 s doubling to 30 s); after LANE_ATTEMPTS attempts in a
 * row without a lane that lived that long, the session goes on without one.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { CloseCode, Feature, type PeerHello } from "../frame/control.ts";
import type { DataFrameWriter } from "../frame/receiver.ts";
import { ANY_SOURCE } from "../ip/packet_filter.ts";
import { Session, type SessionOptions } from "../session/session.ts";
import type { SecureStream } from "../transport/secure_stream.ts";
import { errorMessage } from "../base/error_message.ts";
import { backoffDelay } from "./backoff.ts";

/** Attempts in a row without a lane that lived LANE_STABLE_MS before the client stops trying. */
export const LANE_ATTEMPTS = 5;
/** A lane that lived this long counts as good: the next one is tried at once. @default 30 s */
export const LANE_STABLE_MS = 30_000;
/** How long the client waits for the server's LaneToken. @default 10 s */
export const LANE_TOKEN_WAIT_MS = 10_000;
const LANE_BACKOFF = { initialMs: 1000, maxMs: 30_000 };

export interface SparseLaneOptions {
  /** The open session the lane is for. */
  readonly main: Session;
  /** The server's Hello, which may carry a lane token. */
  readonly server: PeerHello;
  /** Dials the server the session is with. */
  readonly dial: () => Promise<SecureStream>;
  /** The main session's options, our Hello among them. */
  readonly basics: Pick<SessionOptions, "hello" | "keepalive" | "handshakeTimeoutMs" | "carrier">;
  /** Where received packets go (the TUN). */
  readonly writer: DataFrameWriter;
  readonly log: Logger;
  /** The delay before re-open attempt `n` (0-based) after a failure. @default backoffDelay */
  readonly backoff?: (attempt: number) => number;
}

/** One attempt's outcome: the attached lane, or why there is none (and whether to try again). */
type Attempt = { lane: Session } | { reason: string; final: boolean };

/**
 * Opens the lane when the server offered one and keeps it open as the header says; resolves when
 * the session has ended or the client stopped trying. Never rejects.
 */
export async function keepSparseLane(options: SparseLaneOptions): Promise<void> {
  const { main, server, log } = options;
  const ours = options.basics.hello.features;
  if (server.lane === undefined || !ours.includes(Feature.Lanes)) return;
  const renews = ours.includes(Feature.LaneRenew) && server.features.includes(Feature.LaneRenew);
  const backoff = options.backoff ?? ((n: number) => backoffDelay(n, LANE_BACKOFF));
  let token: string | undefined = server.lane;
  let failures = 0;
  while (main.state === "open") {
    token ??= await main.requestLaneToken(LANE_TOKEN_WAIT_MS);
    const attempt: Attempt = token === undefined
      ? { reason: "the server sent no lane token", final: false }
      : await openLane(options, token);
    token = undefined;
    if (main.state !== "open") return;
    let why: string;
    if ("lane" in attempt) {
      const since = performance.now();
      why = `sparse lane closed (${(await attempt.lane.ended).message})`;
      if (main.state !== "open") return;
      failures = performance.now() - since >= LANE_STABLE_MS ? 0 : failures + 1;
    } else {
      why = `no sparse lane (${attempt.reason})`;
      failures++;
    }
    const stop = !renews || ("final" in attempt && attempt.final) || failures >= LANE_ATTEMPTS;
    if (stop) {
      const tries = failures >= LANE_ATTEMPTS ? `, ${failures} attempts in a row failed` : "";
      log.info("{why}{tries}; all packets use the main connection", { why, tries });
      return;
    }
    const delay = failures === 0 ? 0 : backoff(failures - 1);
    log.info("{why}; opening another in {seconds} s", {
      why,
      seconds: Math.round(delay / 100) / 10,
    });
    await pause(delay, main.ended);
  }
}

/** Dials, checks the server's certificate, joins with `token` and attaches the lane. */
async function openLane(options: SparseLaneOptions, token: string): Promise<Attempt> {
  const { main, log } = options;
  let stream: SecureStream;
  try {
    stream = await options.dial();
  } catch (error) {
    return { reason: errorMessage(error), final: false };
  }
  if (main.state !== "open") {
    stream.destroy();
    return { reason: "its session ended", final: true };
  }
  if (stream.info.peerFingerprint !== main.connection.peerFingerprint) {
    stream.destroy();
    const other = `${stream.info.peerName} at ${stream.info.remote}`;
    return { reason: `the second connection reached another server (${other})`, final: true };
  }
  const lane = new Session({
    role: "client",
    stream,
    logger: log,
    ...options.basics,
    hello: { ...options.basics.hello, lane: token },
    admit: () => ({ filter: ANY_SOURCE, writer: options.writer }),
  });
  try {
    await lane.opened;
  } catch {
    return { reason: (await lane.ended).message, final: false };
  }
  if (!main.attachLane(lane)) {
    lane.close(CloseCode.Shutdown, "its session ended");
    return { reason: "its session ended", final: true };
  }
  log.info("sparse lane open to {server}: pings and small packets travel apart from bulk data", {
    server: stream.info.remote,
  });
  return { lane };
}

/** Waits `ms`, or less when `ended` settles first; leaves no timer behind. */
async function pause(ms: number, ended: Promise<unknown>): Promise<void> {
  if (ms <= 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), ended]);
  clearTimeout(timer);
}
