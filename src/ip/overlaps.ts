/**
 * Which prefixes of a list overlap one listed before them, in O(n log n): the check behind
 * "each network once, none inside another" for the configuration's route lists. Pure.
 *
 * @module
 */

import { broadcastOf, type IpPrefix } from "./prefix.ts";

/** -1, 0 or 1 as `a` sorts before, with or after `b`, byte by byte (same length). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/**
 * Every entry that overlaps an entry listed before it, as [entry, the first earlier entry it
 * overlaps], in `placed` order; O(n log n). Prefixes are nested or disjoint, so after sorting by
 * start address (wider first) the entries containing one are the stack of those still open when
 * it comes, and the entries it contains come after it while it is open: one sweep finds, for each
 * entry, the first-listed entry among those containing it and among those it contains.
 */
export function overlappingPairs<T extends { readonly prefix: IpPrefix }>(
  placed: readonly T[],
): Array<[T, T]> {
  const order = placed.map((_, index) => index).sort((a, b) => {
    const pa = placed[a]!.prefix;
    const pb = placed[b]!.prefix;
    return pa.family - pb.family || compareBytes(pa.bytes, pb.bytes) || pa.length - pb.length ||
      a - b;
  });
  const ends = placed.map((entry) => broadcastOf(entry.prefix));
  const first = (a: number, b: number) => (a < 0 ? b : b < 0 ? a : Math.min(a, b));
  // For each entry: the first-listed entry containing it, and the first-listed one inside it.
  const firstAbove = new Array<number>(placed.length).fill(-1);
  const firstBelow = new Array<number>(placed.length).fill(-1);
  // The entries containing the current one, widest first; at most all of them.
  const open: number[] = [];
  const close = () => {
    const closed = open.pop()!;
    const parent = open.at(-1);
    if (parent !== undefined) {
      firstBelow[parent] = first(firstBelow[parent]!, first(closed, firstBelow[closed]!));
    }
  };
  for (const index of order) {
    const current = placed[index]!.prefix;
    for (;;) {
      const top = open.at(-1);
      if (top === undefined) break;
      const inside = placed[top]!.prefix.family === current.family &&
        compareBytes(current.bytes, ends[top]!) <= 0;
      if (inside) break;
      close();
    }
    const parent = open.at(-1);
    if (parent !== undefined) firstAbove[index] = first(firstAbove[parent]!, parent);
    open.push(index);
  }
  while (open.length > 0) close();
  const pairs: Array<[T, T]> = [];
  for (const [index, entry] of placed.entries()) {
    const earlier = first(firstAbove[index]!, firstBelow[index]!);
    if (earlier >= 0 && earlier < index) pairs.push([entry, placed[earlier]!]);
  }
  return pairs;
}
