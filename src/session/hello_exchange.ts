/**
 * What a session does with its peer's Hello: refuse another protocol version, let the caller's
 * admit function judge the peer, and agree on the features both sides offer. Pure (the admit
 * function is the caller's).
 *
 * @module
 */
import {
  CloseCode,
  Feature,
  type Hello,
  type PeerHello,
  PROTOCOL_VERSION,
} from "../frame/control.ts";
import { type Admission, SessionRefusal } from "./session_options.ts";

/**
 * The Hello exchange's outcome: the session opens with an admission and the features both sides
 * offer (PacketGso frames; lane tokens on request), or is refused.
 */
export type HelloVerdict =
  | { readonly admission: Admission; readonly acceptsGso: boolean; readonly renewsLanes: boolean }
  | { readonly refusal: SessionRefusal };

/** Judges `peer`'s Hello against `ours`; other errors of `admit` than a refusal propagate. */
export function judgeHello(
  peer: PeerHello,
  ours: Hello,
  admit: (peer: PeerHello) => Admission,
): HelloVerdict {
  if (peer.protocol !== PROTOCOL_VERSION) {
    return {
      refusal: new SessionRefusal(
        CloseCode.VersionMismatch,
        `protocol version ${peer.protocol} is not supported (this side speaks ${PROTOCOL_VERSION})`,
      ),
    };
  }
  const both = (feature: string) =>
    peer.features.includes(feature) && ours.features.includes(feature);
  try {
    return {
      admission: admit(peer),
      acceptsGso: both(Feature.Gso),
      renewsLanes: both(Feature.Lanes) && both(Feature.LaneRenew),
    };
  } catch (error) {
    if (error instanceof SessionRefusal) return { refusal: error };
    throw error;
  }
}
