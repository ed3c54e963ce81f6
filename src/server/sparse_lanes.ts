/**
 * The server's side of sparse lanes (src/session/sparse_lane.ts): a token in the Hello answer of
 * every session whose client offers lanes, and the check of a second connection that names one.
 * A lane joins only the open session its token was issued to, from the same certificate (common
 * name and fingerprint), once, within LANE_TOKEN_TTL_MS, and only while that session has no lane;
 * anything else is refused with Close(11). A lane is a connection like any other for the door
 * (its caps and pending places) but claims no address and replaces no session.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { FrameError } from "../frame/codec.ts";
import { CloseCode, Feature, type Hello } from "../frame/control.ts";
import { LaneTokens } from "../session/lane_tokens.ts";
import { type Session, SessionRefusal } from "../session/session.ts";

export interface ServerLanesOptions {
  /**
   * Descriptors the server keeps for connections that are sessions (ConnectionLimits.maxSessions):
   * open sessions and lanes together stay under it, sessions first.
   */
  readonly maxConnections: number;
  /** Sessions open now. */
  readonly sessions: () => number;
}

export class ServerLanes {
  #tokens = new LaneTokens<Session>();
  #log: Logger;
  #options: ServerLanesOptions;
  #open = 0;
  /** Connections that joined a session as its lane: they may not ask for lanes of their own. */
  #lanes = new WeakSet<Session>();

  constructor(log: Logger, options: ServerLanesOptions) {
    this.#log = log;
    this.#options = options;
  }

  /** Lanes attached now. */
  get open(): number {
    return this.#open;
  }

  /** Tokens issued and not yet redeemed (at most one per session). */
  get pending(): number {
    return this.#tokens.size;
  }

  /** What the Hello answer to `peer` adds: a lane token when both sides offer lanes. */
  offer(session: Session, peer: Pick<Hello, "features">, ours: Hello): Pick<Hello, "lane"> {
    if (!peer.features.includes(Feature.Lanes) || !ours.features.includes(Feature.Lanes)) return {};
    const { peerName: name, peerFingerprint: fingerprint } = session.connection;
    return { lane: this.#tokens.issue(session, { name, fingerprint }) };
  }

  /**
   * `lane` (a new connection whose Hello names `token`) joins its session: returns that session
   * (the owner) and attaches the lane to it once the lane is open. Throws SessionRefusal as join.
   */
  admit(token: string, lane: Session): Session {
    const owner = this.join(token, lane);
    lane.opened.then(() => this.attach(owner, lane), () => {});
    return owner;
  }

  /**
   * The session that `lane` (a new connection whose Hello names `token`) joins; throws
   * SessionRefusal, which closes only the lane, when the token or the certificate does not fit.
   */
  join(token: string, lane: Session): Session {
    const { peerName: name, peerFingerprint: fingerprint, remote } = lane.connection;
    this.#lanes.add(lane);
    const redeemed = this.#tokens.redeem(token, { name, fingerprint });
    let refusal = "refused" in redeemed ? redeemed.refused : undefined;
    if (!refusal && "owner" in redeemed) {
      if (redeemed.owner.state !== "open") refusal = "its session is not open";
      else if (redeemed.owner.lane) refusal = "its session has a lane already";
      else if (this.#options.sessions() + this.#open >= this.#options.maxConnections) {
        refusal = "the server keeps its remaining descriptors for sessions";
      } else return redeemed.owner;
    }
    this.#log.warn("sparse lane from {peer} ({name}) refused: {reason}", {
      peer: remote,
      name,
      reason: refusal,
    });
    throw new SessionRefusal(CloseCode.LaneRefused, `sparse lane refused: ${refusal}`);
  }

  /**
   * Makes the joined lane `owner`'s, once it is open (the owner may have ended or taken another
   * lane meanwhile: then the lane is closed).
   */
  attach(owner: Session, lane: Session): void {
    const { peerName: name, remote } = lane.connection;
    if (!owner.attachLane(lane)) {
      lane.close(CloseCode.LaneRefused, "sparse lane refused: its session ended or has a lane");
      return;
    }
    this.#log.info("client {name} ({peer}) opened a sparse lane", { name, peer: remote });
    this.#open++;
    lane.ended.then((end) => {
      this.#open--;
      this.#log.info("sparse lane of client {name} ({peer}) closed: {reason}", {
        name,
        peer: remote,
        reason: end.message,
      });
    });
  }

  /**
   * `owner`'s client asked for a new lane (LaneRequest, after its lane died or could not open):
   * the lane the server still holds for it is closed (the client holds it dead) and a fresh token
   * replaces any unredeemed one. A FrameError, closing it, when `owner` is itself a lane.
   */
  renew(owner: Session): string {
    if (this.#lanes.has(owner)) throw new FrameError("lane request on a sparse lane");
    owner.lane?.close(CloseCode.Replaced, "the client opens another sparse lane");
    const { peerName: name, peerFingerprint: fingerprint } = owner.connection;
    return this.#tokens.issue(owner, { name, fingerprint });
  }

  /** `session` ended: its token, if unredeemed, goes. */
  forget(session: Session): void {
    this.#tokens.forget(session);
  }
}
