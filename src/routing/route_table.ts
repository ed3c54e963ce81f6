import { formatIpv4, inSubnet } from "../ip/ipv4.ts";

/** Maps tunnel addresses (IPv4, host order) to the peer that owns each; pure, no I/O. */
export class RouteTable<Peer> {
  #routes = new Map<number, Peer>();
  readonly prefixLength: number;
  /** Our own tunnel address, never given to a peer. */
  readonly self: number;

  constructor(self: number, prefixLength: number) {
    this.self = self;
    this.prefixLength = prefixLength;
  }

  get size(): number {
    return this.#routes.size;
  }

  lookup(address: number): Peer | undefined {
    return this.#routes.get(address);
  }

  /** Why `address` cannot be given to a new peer, or undefined when it can. */
  refuse(address: number): string | undefined {
    if (!inSubnet(address, this.self, this.prefixLength)) {
      return `address ${formatIpv4(address)} is outside the tunnel network ` +
        `${formatIpv4(this.self)}/${this.prefixLength}`;
    }
    if (address === this.self) return `address ${formatIpv4(address)} is the server's own`;
    return undefined;
  }

  add(address: number, peer: Peer): void {
    this.#routes.set(address, peer);
  }

  /** Removes the route only while it still points at `peer` (a newer session may own it). */
  remove(address: number, peer: Peer): void {
    if (this.#routes.get(address) === peer) this.#routes.delete(address);
  }

  peers(): IterableIterator<Peer> {
    return this.#routes.values();
  }
}
