import { type IpPrefix, maskBytes } from "../ip/prefix.ts";
import { familyOf, type IpFamily } from "../ip/address.ts";
import { ipv4ToWord, type Ipv4Word } from "../ip/ipv4_word.ts";

/**
 * One route table for both address families: prefixes (host addresses /32 and /128 as well as
 * networks behind a peer) mapped to the peer that owns them, looked up by longest-prefix match.
 * Pure, no I/O.
 *
 * Per family it keeps one exact-match map per prefix length in use, and the lengths in use sorted
 * longest first; a lookup tries each length once. A tunnel typically uses two or three lengths
 * (hosts, the LANs behind them), so a lookup is two or three map probes whatever the number of
 * routes. Memory: one map entry per route.
 */
export class PrefixTable<Value> {
  #v4 = new FamilyTable<Ipv4Word, Value>();
  #v6 = new FamilyTable<string, Value>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Routes `p` to `value` (replacing whatever it routed to). */
  set(p: IpPrefix, value: Value): void {
    const added = p.family === 4
      ? this.#v4.set(p.length, v4Key(p.bytes, p.length), value)
      : this.#v6.set(p.length, v6Key(p.bytes, p.length), value);
    if (added) this.#size++;
  }

  /** What exactly `p` routes to (no longest-prefix match). */
  get(p: IpPrefix): Value | undefined {
    return p.family === 4
      ? this.#v4.get(p.length, v4Key(p.bytes, p.length))
      : this.#v6.get(p.length, v6Key(p.bytes, p.length));
  }

  /** Removes `p` while it still routes to `value` (a newer owner keeps it); true if removed. */
  delete(p: IpPrefix, value: Value): boolean {
    const removed = p.family === 4
      ? this.#v4.delete(p.length, v4Key(p.bytes, p.length), value)
      : this.#v6.delete(p.length, v6Key(p.bytes, p.length), value);
    if (removed) this.#size--;
    return removed;
  }

  /** Longest-prefix match for an IPv4 destination as the data path's word (host-order u32). */
  lookup4(destination: Ipv4Word): Value | undefined {
    const table = this.#v4;
    for (const length of table.lengths) {
      const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
      const hit = table.get(length, (destination & mask) >>> 0);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** Longest-prefix match for the 16-byte IPv6 address at `offset` of `packet`. */
  lookup6(packet: Uint8Array, offset = 0): Value | undefined {
    const table = this.#v6;
    if (table.lengths.length === 0) return undefined;
    const address = packet.subarray(offset, offset + 16);
    for (const length of table.lengths) {
      const hit = table.get(length, v6Key(address, length));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** Longest-prefix match for an address of either family (4 or 16 bytes). */
  lookup(address: Uint8Array): Value | undefined {
    return familyOf(address) === 4 ? this.lookup4(ipv4ToWord(address)) : this.lookup6(address);
  }

  /** Every route of `family`, as prefix length and value (for status and tests). */
  *entries(family: IpFamily): IterableIterator<[number, Value]> {
    const table: FamilyTable<unknown, Value> = family === 4 ? this.#v4 : this.#v6;
    yield* table.entries();
  }
}

/** Exact-match maps per prefix length, and the lengths in use, longest first. */
class FamilyTable<Key, Value> {
  #byLength = new Map<number, Map<Key, Value>>();
  lengths: number[] = [];

  get(length: number, key: Key): Value | undefined {
    return this.#byLength.get(length)?.get(key);
  }

  /** True when the key was new. */
  set(length: number, key: Key, value: Value): boolean {
    let map = this.#byLength.get(length);
    if (!map) {
      this.#byLength.set(length, map = new Map());
      this.lengths = [...this.#byLength.keys()].sort((a, b) => b - a);
    }
    const added = !map.has(key);
    map.set(key, value);
    return added;
  }

  delete(length: number, key: Key, value: Value): boolean {
    const map = this.#byLength.get(length);
    if (!map || map.get(key) !== value) return false;
    map.delete(key);
    if (map.size === 0) {
      this.#byLength.delete(length);
      this.lengths = this.lengths.filter((l) => l !== length);
    }
    return true;
  }

  *entries(): IterableIterator<[number, Value]> {
    for (const [length, map] of this.#byLength) {
      for (const value of map.values()) yield [length, value];
    }
  }
}

function v4Key(bytes: Uint8Array, length: number): Ipv4Word {
  return ipv4ToWord(maskBytes(bytes, length));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** The masked address as hex, the map key of an IPv6 prefix of that length. */
function v6Key(bytes: Uint8Array, length: number): string {
  let key = "";
  const whole = length >>> 3;
  for (let i = 0; i < whole; i++) key += HEX[bytes[i]!];
  const rest = length & 7;
  if (rest !== 0) key += HEX[bytes[whole]! & (0xff << (8 - rest)) & 0xff];
  return key;
}
