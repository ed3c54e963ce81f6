import type { ClientRegistryConfig, RegisteredClient } from "../config/types.ts";
import { CloseCode, type StatedPrefix } from "../frame/control.ts";
import { hostPrefix, type IpPrefix, sameAddress, samePrefix } from "../ip/prefix.ts";
import { formatAddress } from "../ip/address.ts";
import { PrefixTable } from "../routing/prefix_table.ts";
import { checkClaimShape } from "./claim_shape.ts";
import {
  heldAddressRefusal,
  type PolicyUpdate,
  type Refused,
  registryRefusal,
  type Rerouted,
} from "./registry_verdicts.ts";
import { SessionRefusal } from "../session/session.ts";

/** What admission needs to know of a peer: who it is and where it connects from. */
export interface AdmittedPeer {
  readonly connection: {
    /** The certificate's common name: one name holds one session. */
    readonly peerName: string;
    /** The peer's public address and port, for messages. */
    readonly remote: string;
    /** Its certificate's serial (upper-case hex): a revoked one loses its lease. */
    readonly peerSerial?: string;
  };
}

/** The addresses a client's Hello claims (parsed as it was read): IPv4, maybe IPv6 too. */
export interface Claim {
  /** `10.0.0.2/24` */
  readonly address: StatedPrefix;
  /** `fd00:5::2/64` */
  readonly address6?: StatedPrefix;
}

/** The outcome of a successful admission. */
export interface Admitted<Peer> {
  /** Host prefixes (/32, /128) of the peer's tunnel addresses, now routed to it. */
  readonly addresses: readonly IpPrefix[];
  /** Networks behind the peer (from the registry), now routed to it. */
  readonly routes: readonly IpPrefix[];
  /** Routes the caller must install on the TUN: those the replaced session did not hold. */
  readonly install: readonly IpPrefix[];
  /** Routes the replaced session held that the new one does not: the caller removes them. */
  readonly uninstall: readonly IpPrefix[];
  /** An older session of the same name that is replaced; the caller closes it. */
  readonly replaced: Peer | undefined;
}

export interface AdmissionPolicy {
  /** The server's IPv4 tunnel address with the tunnel network's prefix. */
  readonly tunnel4: IpPrefix;
  /** The server's IPv6 tunnel address with its prefix, if it has one. */
  readonly tunnel6?: IpPrefix;
  readonly registry?: ClientRegistryConfig;
  /** Sessions at once (`max_clients`). */
  readonly maxClients: number;
  /** How long a departed client's addresses stay reserved for it. @default 300000 */
  readonly leaseMs?: number;
  /** Replacements of one name within `flapWindowMs` beyond which the newer is refused. @default 3 */
  readonly flapLimit?: number;
  /** @default 60000 */
  readonly flapWindowMs?: number;
}

/** A name's live session and what it holds. */
interface Holder<Peer> {
  readonly peer: Peer;
  readonly addresses: readonly IpPrefix[];
  readonly routes: readonly IpPrefix[];
}

interface Lease {
  readonly addresses: readonly IpPrefix[];
  readonly serial: string | undefined;
  readonly until: number;
  readonly left: number;
}

export const DEFAULT_LEASE_MS = 300_000;

/**
 * Who may hold a session and which addresses and routes it gets: pure logic over the route
 * table, no I/O (the server installs and removes routes on the TUN as told).
 *
 * - **Names.** With a registry (`clients:`), a name listed with `allow: false` is refused, and an
 *   unlisted one too unless `unlisted: allow`. A listed name gets the addresses the registry pins
 *   (a claim of any other is refused, with the address it should use) and its routes.
 * - **One session per name.** A name that connects again replaces its older session, which never
 *   keeps a second address. When the replacements of one name exceed `flapLimit` within
 *   `flapWindowMs` (two hosts sharing one certificate), the newer connection is refused, and so is
 *   every further one, for as long as the session holding the name lasts.
 * - **Addresses.** A claim is refused when it lies outside the tunnel network, is the network's,
 *   broadcast or the server's own address, is pinned to another registered name, is held by
 *   another name, or is still reserved for a name that left less than `leaseMs` ago (so that
 *   nobody can take over a client's address while it reconnects).
 * - **Capacity.** At most `maxClients` names hold a session; the next is refused.
 *
 * Bounds: one holder per name with a session (at most maxClients), one lease (at most two
 * addresses) per name that left within leaseMs, at most flapLimit timestamps per holder.
 */
export class ClientAdmission<Peer extends AdmittedPeer> {
  readonly routes = new PrefixTable<Peer>();
  #policy: AdmissionPolicy;
  #now: () => number;
  #holders = new Map<string, Holder<Peer>>();
  #leases = new Map<string, Lease>();
  /** Leased addresses (formatted) to the name they are reserved for. */
  #leasedTo = new Map<string, string>();
  #replacements = new Map<string, number[]>();
  /** Names refused as flapping until their holder ends. */
  #flapping = new Set<string>();
  #registered = new Map<string, RegisteredClient>();
  /** Registry addresses (formatted) to the name they are pinned to. */
  #pinned = new Map<string, string>();

  constructor(policy: AdmissionPolicy, now: () => number = Date.now) {
    this.#policy = policy;
    this.#now = now;
    this.#index(policy.registry);
  }

  get policy(): AdmissionPolicy {
    return this.#policy;
  }

  #index(registry: ClientRegistryConfig | undefined): void {
    this.#registered.clear();
    this.#pinned.clear();
    for (const client of registry?.clients ?? []) {
      this.#registered.set(client.name, client);
      for (const address of client.addresses) {
        this.#pinned.set(formatAddress(address.bytes), client.name);
      }
    }
  }

  /**
   * Applies a new registry and `maxClients` (a reload). Sessions still allowed keep their
   * addresses; when their registry routes changed, the table follows and `rerouted` says what
   * to install and remove. Sessions no longer allowed (refused by name, or holding an address
   * the registry now gives another or no longer gives them) are returned with the refusal to
   * close them with; they keep their entries until the caller's release(). Sessions beyond a
   * lower `maxClients` stay: only newcomers are refused.
   */
  update(policy: Pick<AdmissionPolicy, "registry" | "maxClients">): PolicyUpdate<Peer> {
    const { registry: _previous, ...rest } = this.#policy;
    this.#policy = {
      ...rest,
      ...(policy.registry ? { registry: policy.registry } : {}),
      maxClients: policy.maxClients,
    };
    this.#index(policy.registry);
    const refused: Refused<Peer>[] = [];
    const rerouted: Rerouted<Peer>[] = [];
    for (const [name, holder] of this.#holders) {
      const refusal = this.#registryVerdict(name) ??
        heldAddressRefusal(name, {
          addresses: holder.addresses,
          entry: this.#registered.get(name),
          pinned: this.#pinned,
        });
      if (refusal) {
        refused.push({ peer: holder.peer, refusal });
        continue;
      }
      const routes = this.#registered.get(name)?.routes ?? [];
      const install = routes.filter((r) => !holder.routes.some((h) => samePrefix(h, r)));
      const uninstall = holder.routes.filter((h) => !routes.some((r) => samePrefix(h, r)));
      if (install.length === 0 && uninstall.length === 0) continue;
      for (const p of uninstall) this.routes.delete(p, holder.peer);
      for (const p of install) this.routes.set(p, holder.peer);
      this.#holders.set(name, { ...holder, routes });
      rerouted.push({ peer: holder.peer, addresses: holder.addresses, routes, install, uninstall });
    }
    return { refused, rerouted };
  }

  #registryVerdict(name: string): SessionRefusal | undefined {
    return registryRefusal(name, {
      registry: this.#policy.registry,
      entry: this.#registered.get(name),
    });
  }

  /** Names holding a session now. */
  get sessions(): number {
    return this.#holders.size;
  }

  /** The session holding `name`, if any. */
  holder(name: string): Peer | undefined {
    return this.#holders.get(name)?.peer;
  }

  /**
   * Checks a name as soon as its certificate is known, before any Hello: the registry's verdict,
   * a name held back as flapping, and capacity. Returns the refusal, or undefined to go on.
   */
  screen(name: string): SessionRefusal | undefined {
    const refused = this.#registryVerdict(name);
    if (refused) return refused;
    if (this.#flapping.has(name)) return this.#flapRefusal(name);
    if (!this.#holders.has(name) && this.#holders.size >= this.#policy.maxClients) {
      return new SessionRefusal(
        CloseCode.ServerFull,
        `the server has reached max_clients (${this.#policy.maxClients}); try again later`,
      );
    }
    return undefined;
  }

  /** Admits `peer` with the addresses its Hello claims, or throws SessionRefusal. */
  admit(claim: Claim, peer: Peer): Admitted<Peer> {
    const name = peer.connection.peerName;
    // Screened at accept already; again here, as a replacement or a full server may have come
    // during the handshake.
    const early = this.screen(name);
    if (early) throw early;
    const entry = this.#registered.get(name);
    const addresses = [this.#checkClaim(claim.address, 4, name, entry)];
    // A registry IPv6 address the client does not claim is simply not routed.
    if (claim.address6 !== undefined) {
      addresses.push(this.#checkClaim(claim.address6, 6, name, entry));
    }
    const routes = entry?.routes ?? [];
    const previous = this.#holders.get(name);
    if (previous && previous.peer !== peer) this.#countReplacement(name, peer);
    for (const address of addresses) {
      const holder = this.routes.get(address);
      if (holder && holder !== peer && holder !== previous?.peer) {
        throw new SessionRefusal(
          CloseCode.AddressInUse,
          `address ${
            formatAddress(address.bytes)
          } is in use by client ${holder.connection.peerName}`,
        );
      }
    }
    // Taken: from here on nothing throws.
    this.#endLease(name);
    const had = previous?.routes ?? [];
    if (previous) {
      for (const p of [...previous.addresses, ...previous.routes]) {
        this.routes.delete(p, previous.peer);
      }
    }
    for (const p of [...addresses, ...routes]) this.routes.set(p, peer);
    this.#holders.set(name, { peer, addresses, routes });
    return {
      addresses,
      routes,
      install: routes.filter((r) => !had.some((h) => samePrefix(h, r))),
      uninstall: had.filter((h) => !routes.some((r) => samePrefix(h, r))),
      replaced: previous?.peer === peer ? undefined : previous?.peer,
    };
  }

  /**
   * A session ended. When it still held its name, its addresses and routes are freed (the
   * addresses stay reserved for the name for leaseMs, unless `lease: false`: a revoked
   * certificate's name keeps nothing) and the routes to remove are returned.
   */
  release(peer: Peer, options: { lease?: boolean } = {}): readonly IpPrefix[] {
    const name = peer.connection.peerName;
    const holder = this.#holders.get(name);
    if (!holder || holder.peer !== peer) return [];
    this.#holders.delete(name);
    this.#flapping.delete(name);
    this.#replacements.delete(name);
    for (const p of [...holder.addresses, ...holder.routes]) this.routes.delete(p, peer);
    if (options.lease === false) return holder.routes;
    const now = this.#now();
    this.#pruneLeases(now);
    this.#leases.set(name, {
      addresses: holder.addresses,
      serial: peer.connection.peerSerial,
      until: now + (this.#policy.leaseMs ?? DEFAULT_LEASE_MS),
      left: now,
    });
    for (const address of holder.addresses) this.#leasedTo.set(formatAddress(address.bytes), name);
    return holder.routes;
  }

  /** Ends the leases of names that left with a certificate `revoked` now lists. */
  endLeasesOf(revoked: (serial: string) => boolean): void {
    for (const [name, lease] of this.#leases) {
      if (lease.serial !== undefined && revoked(lease.serial)) this.#endLease(name);
    }
  }

  #countReplacement(name: string, newcomer: Peer): void {
    const now = this.#now();
    const windowMs = this.#policy.flapWindowMs ?? 60_000;
    const recent = (this.#replacements.get(name) ?? []).filter((t) => now - t < windowMs);
    if (recent.length >= (this.#policy.flapLimit ?? 3)) {
      this.#flapping.add(name);
      this.#replacements.set(name, recent);
      throw this.#flapRefusal(name, newcomer.connection.remote);
    }
    recent.push(now);
    this.#replacements.set(name, recent);
  }

  #flapRefusal(name: string, from?: string): SessionRefusal {
    const holder = this.#holders.get(name)?.peer.connection.remote ?? "another host";
    const windowS = Math.round((this.#policy.flapWindowMs ?? 60_000) / 1000);
    return new SessionRefusal(
      CloseCode.Duplicate,
      `certificate ${name} is connected from ${holder}${from ? ` and ${from}` : ""}, which ` +
        `replaced each other more than ${this.#policy.flapLimit ?? 3} times in ${windowS} s: ` +
        `refused while the other session lasts; give each host its own certificate`,
    );
  }

  #pruneLeases(now: number): void {
    for (const [name, lease] of this.#leases) if (lease.until <= now) this.#endLease(name);
  }

  #endLease(name: string): void {
    const lease = this.#leases.get(name);
    if (!lease) return;
    this.#leases.delete(name);
    for (const address of lease.addresses) {
      const text = formatAddress(address.bytes);
      if (this.#leasedTo.get(text) === name) this.#leasedTo.delete(text);
    }
  }

  /** The host prefix a claim of `family` stands for, or a SessionRefusal saying why not. */
  #checkClaim(
    claimed: StatedPrefix,
    family: 4 | 6,
    name: string,
    entry: RegisteredClient | undefined,
  ): IpPrefix {
    const tunnel = family === 4 ? this.#policy.tunnel4 : this.#policy.tunnel6;
    const parsed = checkClaimShape(claimed, { family, tunnel });
    const host = hostPrefix(parsed.bytes);
    const text = formatAddress(parsed.bytes);
    const v = `IPv${family}`;
    const pinnedTo = this.#pinned.get(text);
    const pins = entry?.addresses.filter((a) => a.family === family) ?? [];
    if (pins.length > 0 && !pins.some((p) => sameAddress(p.bytes, parsed.bytes))) {
      const should = formatAddress(pins[0]!.bytes);
      throw new SessionRefusal(
        CloseCode.AddressRejected,
        `client ${name} claims ${text}, but the server's clients list gives it ${should}; ` +
          `set its address to ${should}/${parsed.length}`,
      );
    }
    if (entry && entry.addresses.length > 0 && pins.length === 0) {
      throw new SessionRefusal(
        CloseCode.AddressRejected,
        `client ${name} claims ${text}, but the server's clients list gives it no ${v} address; ` +
          `remove ${claimed.text} from its address (or add one to its clients entry)`,
      );
    }
    if (pinnedTo !== undefined && pinnedTo !== name) {
      throw new SessionRefusal(
        CloseCode.AddressInUse,
        `address ${text} belongs to client ${pinnedTo} in the server's clients list; ` +
          `pick another address`,
      );
    }
    const now = this.#now();
    const leasedTo = this.#leasedTo.get(text);
    const lease = leasedTo === undefined ? undefined : this.#leases.get(leasedTo);
    if (leasedTo !== undefined && leasedTo !== name && lease && lease.until > now) {
      throw new SessionRefusal(
        CloseCode.AddressInUse,
        `address ${text} is reserved for client ${leasedTo}, which left ${
          Math.round((now - lease.left) / 1000)
        } s ago (for ${Math.round((lease.until - now) / 1000)} s more); pick another address`,
      );
    }
    return host;
  }
}
