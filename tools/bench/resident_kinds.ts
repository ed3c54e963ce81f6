/**
 * Where a process's resident anonymous memory is, from /proc/PID/smaps: glibc's main arena (the
 * `[heap]` mapping), glibc's per-thread arenas (each a reservation of HEAP_MAX, 64 MiB, aligned
 * to its size: a read-write part and a PROT_NONE rest) and the rest (V8's pages, chunks glibc
 * mmapped on their own, thread stacks, copied-on-write pages of the runtime's binary). Used by the TLS flood memory test and bench.
 *
 * @module
 */

/** glibc's HEAP_MAX_SIZE on 64-bit Linux: a per-thread arena's reservation and alignment. */
const ARENA_RESERVATION = 64n << 20n;

/** Resident anonymous memory by kind, in KiB. */
export interface ResidentKinds {
  readonly mainArena: number;
  readonly threadArenas: number;
  readonly other: number;
  /** File-backed resident memory (code and data of the runtime and libraries). */
  readonly file: number;
}

/** Sorts the `Anonymous:` and `Rss:` lines of an smaps text by the mapping they belong to. */
export function residentKinds(smaps: string): ResidentKinds {
  const out = { mainArena: 0, threadArenas: 0, other: 0, file: 0 };
  let kind: "mainArena" | "threadArenas" | "other" = "other";
  let arenaEnd = 0n;
  let rss = 0;
  const flush = (anonymous: number) => {
    out[kind] += anonymous;
    out.file += rss - anonymous;
  };
  let anonymous = 0;
  let open = false;
  for (const line of smaps.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S{4} \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      if (open) flush(anonymous);
      open = true;
      rss = anonymous = 0;
      const start = BigInt(`0x${head[1]}`);
      const end = BigInt(`0x${head[2]}`);
      const name = head[4] ?? "";
      if (name === "[heap]") kind = "mainArena";
      else if (name !== "" || head[3] !== "0") kind = "other";
      else if (start % ARENA_RESERVATION === 0n && end - start <= ARENA_RESERVATION) {
        arenaEnd = start + ARENA_RESERVATION;
        kind = "threadArenas";
      } else if (start < arenaEnd) kind = "threadArenas";
      else kind = "other";
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field?.[1] === "Rss") rss = Number(field[2]);
    else if (field) anonymous = Number(field[2]);
  }
  if (open) flush(anonymous);
  return out;
}
