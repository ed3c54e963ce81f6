import assert from "node:assert/strict";
import { residentKinds } from "../../tools/bench/resident_kinds.ts";

/** One smaps entry: its header line and the two fields residentKinds reads. */
function mapping(
  range: string,
  perms: string,
  inode: number,
  name: string,
  rss: number,
  anon: number,
) {
  return [
    `${range} ${perms} 00000000 00:00 ${inode}${name ? `          ${name}` : ""}`,
    `Size:              ${rss} kB`,
    `Rss:               ${rss} kB`,
    `Anonymous:         ${anon} kB`,
    "VmFlags: rd wr mr mw me ac",
  ].join("\n");
}

Deno.test("residentKinds sorts anonymous memory into main arena, per-thread arenas and the rest", () => {
  const smaps = [
    // the runtime's binary: file-backed, 40 kB of it copied on write
    mapping("55d0a0000000-55d0a0400000", "r-xp", 1234, "/usr/local/bin/deno", 4096, 40),
    mapping("55d0b0000000-55d0b1000000", "rw-p", 0, "[heap]", 9000, 9000),
    // a per-thread arena: 64 MiB-aligned read-write part, then its PROT_NONE rest
    mapping("7f0c04000000-7f0c04400000", "rw-p", 0, "", 3000, 3000),
    mapping("7f0c04400000-7f0c08000000", "---p", 0, "", 0, 0),
    // V8 pages: anonymous, not aligned to 64 MiB
    mapping("7f0c10040000-7f0c10840000", "rw-p", 0, "", 5000, 5000),
    mapping("7ffd00000000-7ffd00021000", "rw-p", 0, "[stack]", 100, 100),
  ].join("\n");
  assert.deepEqual(residentKinds(smaps), {
    mainArena: 9000,
    threadArenas: 3000,
    other: 40 + 5000 + 100,
    file: 4096 - 40,
  });
});

Deno.test("residentKinds accounts for all of this process's resident memory", () => {
  const smaps = Deno.readTextFileSync("/proc/self/smaps");
  const kinds = residentKinds(smaps);
  const sum = (field: string) =>
    [...smaps.matchAll(new RegExp(`^${field}:\\s+(\\d+) kB`, "gm"))].reduce(
      (total, match) => total + Number(match[1]),
      0,
    );
  assert.equal(kinds.mainArena + kinds.threadArenas + kinds.other, sum("Anonymous"));
  assert.equal(kinds.mainArena + kinds.threadArenas + kinds.other + kinds.file, sum("Rss"));
  assert.ok(kinds.mainArena > 0, "the runtime allocates from glibc's main arena");
});
