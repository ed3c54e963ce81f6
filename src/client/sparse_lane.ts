/**
 * The client's side of a sparse lane (src/session/sparse_lane.ts): once its session is open and
 * the server's Hello carried a lane token, a second connection to the same server, with the same
 * certificate, whose Hello names the token. Any failure (dial, another server's certificate, a
 * refusal) leaves the session as it was: sparse packets stay on the main connection.
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
}

/**
 * Opens the lane when the server offered one; resolves once it is attached, or not to be. Never
 * rejects.
 */
export async function openSparseLane(options: SparseLaneOptions): Promise<void> {
  const { main, server, log } = options;
  const token = server.lane;
  if (token === undefined || !options.basics.hello.features.includes(Feature.Lanes)) return;
  const keep = (reason: string) =>
    log.info("no sparse lane ({reason}); all packets use the main connection", { reason });
  let stream: SecureStream;
  try {
    stream = await options.dial();
  } catch (error) {
    keep(errorMessage(error));
    return;
  }
  if (main.state !== "open") {
    stream.destroy();
    return;
  }
  if (stream.info.peerFingerprint !== main.connection.peerFingerprint) {
    stream.destroy();
    keep(
      `the second connection reached another server (${stream.info.peerName} at ${stream.info.remote})`,
    );
    return;
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
    keep((await lane.ended).message);
    return;
  }
  if (!main.attachLane(lane)) {
    lane.close(CloseCode.Shutdown, "its session ended");
    return;
  }
  log.info(
    "sparse lane open to {server}: pings and small packets travel apart from bulk data",
    {
      server: stream.info.remote,
    },
  );
  lane.ended.then((end) => {
    if (main.state !== "open") return;
    log.info("sparse lane closed ({reason}); all packets use the main connection", {
      reason: end.message,
    });
  });
}
