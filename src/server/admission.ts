import { CloseCode } from "../frame/control.ts";
import { formatIpv4, parseCidr, prefixMask } from "../ip/ipv4.ts";
import { RouteTable } from "../routing/route_table.ts";
import { SessionRefusal } from "../session/session.ts";

/** What admission needs to know of a peer: who it is. */
export interface AdmittedPeer {
  readonly connection: {
    readonly peerName: string;
    /** SHA-256 fingerprint of its certificate: the same certificate may replace its session. */
    readonly peerFingerprint: string;
  };
}

/** The outcome of a successful admission. */
export interface Admitted<Peer> {
  /** The tunnel address (host order) now routed to the peer. */
  readonly address: number;
  /** An older session of the same certificate that held the address; the caller closes it. */
  readonly replaced: Peer | undefined;
}

/**
 * Decides which tunnel address a client may have, and routes it: pure logic over the route
 * table, no I/O. A client claims an address in its Hello; it is refused (with a reason it is told)
 * when the address is not IPv4/prefix, has another prefix than the server's, lies outside the
 * tunnel network, is the network's own or broadcast address, is the server's, or is held by a
 * session of another certificate. The same certificate claiming its address again replaces its
 * older session (a client that reconnects before the server noticed it was gone).
 */
export class AddressAdmission<Peer extends AdmittedPeer> {
  readonly routes: RouteTable<Peer>;

  constructor(self: number, prefixLength: number) {
    this.routes = new RouteTable<Peer>(self, prefixLength);
  }

  /** Admits `peer` at the address it claims, or throws SessionRefusal. */
  admit(claimed: string, peer: Peer): Admitted<Peer> {
    const address = this.#check(claimed);
    const holder = this.routes.lookup(address);
    let replaced: Peer | undefined;
    if (holder && holder !== peer) {
      if (holder.connection.peerFingerprint !== peer.connection.peerFingerprint) {
        throw new SessionRefusal(
          CloseCode.AddressInUse,
          `address ${formatIpv4(address)} is in use by client ${holder.connection.peerName}`,
        );
      }
      replaced = holder;
    }
    this.routes.add(address, peer);
    return { address, replaced };
  }

  /** Removes the route to `address` while it still belongs to `peer`. */
  release(address: number, peer: Peer): void {
    this.routes.remove(address, peer);
  }

  #check(claimed: string): number {
    let address: number;
    let prefixLength: number;
    try {
      ({ address, prefixLength } = parseCidr(claimed));
    } catch {
      throw new SessionRefusal(
        CloseCode.AddressRejected,
        `tunnel address "${claimed}" is not IPv4/prefix`,
      );
    }
    const { self, prefixLength: ours } = this.routes;
    if (prefixLength !== ours) {
      throw new SessionRefusal(
        CloseCode.AddressRejected,
        `tunnel address ${claimed} has prefix /${prefixLength}, the tunnel network is ` +
          `${formatIpv4((self & prefixMask(ours)) >>> 0)}/${ours}`,
      );
    }
    const refusal = this.routes.refuse(address);
    if (refusal) throw new SessionRefusal(CloseCode.AddressRejected, refusal);
    if (ours <= 30) {
      const mask = prefixMask(ours);
      const network = (address & mask) >>> 0;
      const broadcast = (network | ~mask) >>> 0;
      if (address === network || address === broadcast) {
        throw new SessionRefusal(
          CloseCode.AddressRejected,
          `address ${formatIpv4(address)} is the tunnel network's ${
            address === network ? "network" : "broadcast"
          } address`,
        );
      }
    }
    return address;
  }
}
