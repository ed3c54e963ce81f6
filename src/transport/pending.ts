/**
 * The door's bookkeeping: connections from the moment they are accepted until their session opens,
 * under caps per source address, per source network and in total.
 *
 * Under every cap, a newcomer takes the place of the pending connection that has made the least
 * progress: nothing received yet, then part of a ClientHello; the oldest first. So a crowd of
 * strangers, or a NAT neighbour holding its address's or its network's share, cannot keep a real
 * client out: it only pushes its own connections out. That is cheap because the door hands a
 * connection to TLS only once its whole ClientHello is in (first_record.ts): closing one that has
 * not got that far frees its socket and a few bytes, nothing more (in Deno 2.9.6 every connection
 * node:tls wraps that then ends before its handshake completes keeps about 30 KB for good).
 *
 * At an address's or a network's cap only a connection at least DISPLACE_GRACE_MS old gives way:
 * otherwise a neighbour that reconnects as soon as it is closed would displace its way through its
 * own idle connections, each reconnect closing the next oldest, and reach a newcomer's connection
 * before its ClientHello has arrived (measured: a NAT neighbour holding 8 idle connections cost a
 * client behind the same address its first try).
 *
 * A connection TLS already has (its handshake under way) is displaced only when the whole table is
 * full; at an address's or a network's cap, when every place is held by a handshake under way or
 * completed, the newcomer is turned away. Only when every pending connection of the table has
 * completed its TLS handshake is a newcomer refused at the table's cap. The wraps a crowd can
 * cause are so bounded by the caps and the handshake deadline.
 *
 * Pure bookkeeping with an injected view of each connection; the listener performs the closing.
 *
 * @module
 */
import { parseAddress } from "../ip/address.ts";
import { maskBytes } from "../ip/prefix.ts";

/** Caps on connections that have not yet become a session. */
export interface PendingLimits {
  /** Connections at once, from anyone, before their session has opened. @default 512 */
  readonly maxPending: number;
  /** The same, from one source address. @default 8 */
  readonly maxPendingPerSource: number;
  /**
   * The same, from one IPv4 network of `network4Prefix` bits. An IPv4 /24 may be a carrier-grade
   * NAT with hundreds of customers, hence four addresses' share: a handshake takes milliseconds,
   * so 32 at once still admit thousands a second; an attacker needs sixteen /24s to fill the
   * table. @default 32
   */
  readonly maxPendingPerNetwork4: number;
  /**
   * The same, from one IPv6 network of `network6Prefix` bits. A /64 is one subscriber's link (one
   * attacker holds 2^64 addresses in it), hence twice one address's share. @default 16
   */
  readonly maxPendingPerNetwork6: number;
  /** @default 24 */
  readonly network4Prefix: number;
  /** @default 64 */
  readonly network6Prefix: number;
}

export const DEFAULT_PENDING_LIMITS: PendingLimits = {
  maxPending: 512,
  maxPendingPerSource: 8,
  maxPendingPerNetwork4: 32,
  maxPendingPerNetwork6: 16,
  network4Prefix: 24,
  network6Prefix: 64,
};

/**
 * How old a connection must be before a newcomer may displace it at an address's or a network's
 * cap: an honest client's ClientHello follows its connect within a round trip, so it is never
 * displaced by the connections that come after it.
 */
export const DISPLACE_GRACE_MS = 1000;

/** Which cap turned a newcomer away. */
export type PendingCap = "pending" | "per source" | "per network";

/** What the bookkeeping may know of and do to a pending connection. */
export interface PendingConnection {
  /** Bytes received so far (0: not even a ClientHello). */
  bytesReceived(): number;
  /**
   * Its whole ClientHello is in and TLS has it (first_record.ts): closing it now costs the TLS
   * layer's ~30 KB, so it goes after every connection that is still only partly there.
   */
  helloComplete(): boolean;
  /** Closes it to make room (its place is already freed when this is called). */
  evict(cap: PendingCap): void;
}

/** One pending connection's place under the caps. */
export interface PendingSlot {
  /** Calls `onExpiry` unless handshakeDone() or release() comes first. */
  startDeadline(ms: number, onExpiry: () => void): void;
  /** The TLS handshake has completed: its deadline no longer applies. */
  handshakeDone(): void;
  /** Frees the place (the session opened, or the connection ended). Safe to call twice. */
  release(): void;
}

interface Entry {
  readonly connection: PendingConnection;
  readonly source: string;
  readonly network: string;
  /** When it was accepted (the clock of PendingConnections). */
  readonly since: number;
  handshaken: boolean;
  release(): void;
}

/** The network key of an address: its first `bits` as text ("4/198.51.100" style), or itself. */
export function networkKey(source: string, limits: PendingLimits): string {
  let bytes = parseAddress(source);
  if (bytes === undefined) return source;
  // An IPv4-mapped IPv6 address (dual-stack socket) is the IPv4 address it maps.
  if (
    bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff && bytes[11] === 0xff
  ) {
    bytes = bytes.subarray(12);
  }
  const bits = bytes.length === 4 ? limits.network4Prefix : limits.network6Prefix;
  return `${bytes.length === 4 ? 4 : 6}/${maskBytes(bytes, bits).join(".")}`;
}

/**
 * The handshake deadline for a connection accepted with `count` of `max` places taken: the full
 * `baseMs` while the table is at most half full, then shorter in proportion to the room left,
 * never below `floorMs` (or baseMs when that is smaller): a crowd holding places until their
 * deadline frees them sooner, an honest handshake (a few round trips) still fits.
 */
export function handshakeDeadlineMs(baseMs: number, count: number, max: number, floorMs = 2000) {
  const fill = max <= 0 ? 1 : count / max;
  if (fill <= 0.5) return baseMs;
  const scaled = baseMs * Math.max(0, (1 - fill) * 2);
  return Math.round(Math.max(Math.min(baseMs, floorMs), scaled));
}

/** 0 nothing received, 1 part of a ClientHello, 2 in TLS's hands, 3 handshake complete. */
function rank(entry: Entry): number {
  if (entry.handshaken) return 3;
  if (entry.connection.helloComplete()) return 2;
  return entry.connection.bytesReceived() > 0 ? 1 : 0;
}

/**
 * Counts connections from the moment they are accepted until their session opens, in total, per
 * source network and per source address. Memory: one entry per pending connection and one map
 * key per source address and network with one: all bounded by `maxPending`.
 */
export class PendingConnections {
  readonly limits: PendingLimits;
  /** Every pending connection, oldest first (a Set keeps insertion order). */
  #all = new Set<Entry>();
  #bySource = new Map<string, Set<Entry>>();
  #byNetwork = new Map<string, Set<Entry>>();
  #evicted = 0;
  #now: () => number;

  constructor(limits: Partial<PendingLimits> = {}, now: () => number = () => performance.now()) {
    this.limits = { ...DEFAULT_PENDING_LIMITS, ...limits };
    this.#now = now;
  }

  /** Connections pending now. */
  get count(): number {
    return this.#all.size;
  }

  /** Connections closed so far to make room for a newcomer. */
  get evicted(): number {
    return this.#evicted;
  }

  /**
   * Takes a place for `connection` from `source`, first closing the least advanced connection
   * under each cap that is full; says which cap refuses it when nothing under that cap may make
   * room (an address's or network's places all held by handshakes under way or complete, the
   * table's all by complete ones).
   */
  acquire(source: string, connection: PendingConnection): PendingSlot | PendingCap {
    const network = networkKey(source, this.limits);
    const v4 = network.startsWith("4/");
    const caps: Array<[PendingCap, Set<Entry> | undefined, number]> = [
      ["per source", this.#bySource.get(source), this.limits.maxPendingPerSource],
      [
        "per network",
        this.#byNetwork.get(network),
        v4 ? this.limits.maxPendingPerNetwork4 : this.limits.maxPendingPerNetwork6,
      ],
      ["pending", this.#all, this.limits.maxPending],
    ];
    for (const [cap, group, max] of caps) {
      while (group !== undefined && group.size >= max) {
        // Only the full table displaces a connection TLS already has, or a young one (see the
        // module comment).
        const table = cap === "pending";
        const victim = this.#leastAdvanced(group, table, table ? 0 : DISPLACE_GRACE_MS);
        if (victim === undefined) return cap;
        victim.release();
        this.#evicted++;
        victim.connection.evict(cap);
      }
    }
    return this.#add(source, network, connection);
  }

  /**
   * The oldest entry that has received nothing; else the oldest with part of a ClientHello; else,
   * with `underWay`, the oldest whose handshake is under way. Only entries at least `minAgeMs` old.
   */
  #leastAdvanced(group: Set<Entry>, underWay: boolean, minAgeMs: number): Entry | undefined {
    let partial: Entry | undefined;
    let wrapped: Entry | undefined;
    const now = this.#now();
    for (const entry of group) {
      if (now - entry.since < minAgeMs) break; // the rest is younger still
      const r = rank(entry);
      if (r === 0) return entry;
      if (r === 1 && partial === undefined) partial = entry;
      if (r === 2 && wrapped === undefined) wrapped = entry;
    }
    return partial ?? (underWay ? wrapped : undefined);
  }

  #add(source: string, network: string, connection: PendingConnection): PendingSlot {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const clear = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    let released = false;
    const entry: Entry = {
      connection,
      source,
      network,
      since: this.#now(),
      handshaken: false,
      release: () => {
        clear();
        if (released) return;
        released = true;
        this.#all.delete(entry);
        remove(this.#bySource, source, entry);
        remove(this.#byNetwork, network, entry);
      },
    };
    this.#all.add(entry);
    insert(this.#bySource, source, entry);
    insert(this.#byNetwork, network, entry);
    return {
      startDeadline: (ms, onExpiry) => {
        clear();
        timer = setTimeout(() => {
          timer = undefined;
          onExpiry();
        }, ms);
      },
      handshakeDone: () => {
        clear();
        entry.handshaken = true;
      },
      release: entry.release,
    };
  }
}

function insert(map: Map<string, Set<Entry>>, key: string, entry: Entry): void {
  const group = map.get(key);
  if (group) group.add(entry);
  else map.set(key, new Set([entry]));
}

function remove(map: Map<string, Set<Entry>>, key: string, entry: Entry): void {
  const group = map.get(key);
  if (!group) return;
  group.delete(entry);
  if (group.size === 0) map.delete(key);
}
