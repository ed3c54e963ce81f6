/**
 * What the server does with each connection the listener reports, before any session: counts
 * and logs the ones that never become one (refused, capped, timed out), and screens each
 * authenticated client (its certificate not revoked, its name admissible now) before handing it
 * on. A client turned away here is told why in one Close frame.
 *
 * @module
 */
import { countReason } from "../counters/counters.ts";
import type { CounterRegistry } from "../counters/registry.ts";
import { CloseCode, encodeClose } from "../frame/control.ts";
import { certificateIdentity } from "../pki/peer_check.ts";
import type { PendingSlot } from "../transport/pending.ts";
import type { SecureStream } from "../transport/secure_stream.ts";
import type { PeerRevocations } from "../tunnel/device.ts";
import { classifyClientRefusal } from "./client_refusal.ts";
import type { ConnectionLimits } from "./connection_limits.ts";
import type { StrangerLog } from "./stranger_log.ts";
import type { DoorEvents, UnauthorizedClient } from "./transport.ts";

export interface ClientDoorOptions {
  readonly counters: CounterRegistry;
  readonly strangers: StrangerLog;
  readonly revocations: PeerRevocations;
  readonly limits: ConnectionLimits;
  /** `security.handshake_timeout`, for the line about a client that took longer. */
  readonly handshakeTimeout: () => number;
  /** Why a client of this certificate name may not have a session now, if it may not. */
  readonly screen: (name: string) => { code: CloseCode; message: string } | undefined;
  /** An authenticated client that passed the screen: its session starts. */
  readonly start: (stream: SecureStream, slot: PendingSlot) => void;
}

/** The reason a refusal is counted under in sssonector_connections_refused_total. */
function refusalKind(code: number): string {
  if (code === CloseCode.ServerFull) return "server full";
  if (code === CloseCode.Duplicate) return "duplicate";
  return "not allowed";
}

/** The listener's events, handled as the header says. */
export function clientDoorEvents(options: ClientDoorOptions): DoorEvents {
  const { counters, strangers, limits } = options;
  const connections = counters.process.connections;
  return {
    onStream: (stream, slot) => accept(options, stream, slot),
    onUnauthorized: (peer) => refuse(options, peer),
    onHandshakeFailure: (peer, reason) => {
      countReason(connections.refused, "handshake failed");
      strangers.refused(peer, reason);
    },
    onCapped: (peer, cap) => {
      countReason(connections.capped, cap);
      strangers.capped(peer, cap, limits);
    },
    onHandshakeTimeout: (peer) => {
      connections.handshakeTimeouts++;
      strangers.timedOut(peer, options.handshakeTimeout());
    },
  };
}

/** A client whose certificate our TLS layer did not accept: told why, then disconnected. */
function refuse(options: ClientDoorOptions, peer: UnauthorizedClient): void {
  const { counters, strangers } = options;
  const refusal = peer.resumed
    ? { kind: "resumed session", message: "resumed TLS sessions are refused; connect anew" }
    : classifyClientRefusal(peer.certificate);
  countReason(counters.process.connections.refused, refusal.kind);
  const who = certificateIdentity(peer.certificate);
  if (who) strangers.certificateRefused(peer.remote, who.name, who.serial, refusal.message);
  else strangers.refused(peer.remote, `client certificate refused: ${refusal.message}`);
  peer.refuse(encodeClose({
    code: CloseCode.CertificateRefused,
    message: `certificate refused: ${refusal.message}`,
  }));
}

function accept(options: ClientDoorOptions, stream: SecureStream, slot: PendingSlot): void {
  const { info } = stream;
  const { strangers } = options;
  const refused = options.counters.process.connections.refused;
  // node:tls does not apply CRLs; the current one is checked here, before any session.
  if (options.revocations.isRevoked(info.peerSerial)) {
    slot.release();
    countReason(refused, "revoked");
    strangers.revoked(info.remote, info.peerName, info.peerSerial);
    sayAndEnd(stream, CloseCode.CertificateRefused, "certificate refused: it is revoked");
    return;
  }
  const refusal = options.screen(info.peerName);
  if (refusal) {
    slot.release();
    countReason(refused, refusalKind(refusal.code));
    strangers.turnedAway(info.remote, info.peerName, info.peerSerial, refusal.message);
    sayAndEnd(stream, refusal.code, refusal.message);
    return;
  }
  strangers.authenticated(
    info.peerName,
    "client {peer} authenticated as {name} ({protocol}, {cipher})",
    { peer: info.remote, name: info.peerName, protocol: info.protocol, cipher: info.cipher },
  );
  options.start(stream, slot);
}

/** Sends one Close frame saying why, then ends the connection; nothing it sends is read. */
function sayAndEnd(stream: SecureStream, code: CloseCode, message: string): void {
  stream.write(encodeClose({ code, message })).then(() => stream.end());
}
