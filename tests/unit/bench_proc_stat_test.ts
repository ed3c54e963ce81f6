import assert from "node:assert/strict";
import {
  cpuSecondsBetween,
  parsePeakRssKiB,
  parseProcStat,
  parseSmapsRollup,
} from "../../tools/bench/proc_stat.ts";

const CAT_STAT = "17091 (cat) R 17089 17089 12044 0 -1 4194304 99 0 0 0 7 3 0 0 20 0 1 0 204769 " +
  "3133440 403 18446744073709551615 94718509654016 94718509673897 140726175404560 0 0 0 0 0 0 0 " +
  "0 0 17 1 0 0 0 0 0\n";

function statLine(pid: number, comm: string, utime: number, stime: number): string {
  return `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 ` +
    "12 0 5000 1000000 500 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
}

Deno.test("parseProcStat() reads pid, name, state, parent and CPU ticks", () => {
  assert.deepEqual(parseProcStat(CAT_STAT), {
    pid: 17091,
    comm: "cat",
    state: "R",
    ppid: 17089,
    utimeTicks: 7,
    stimeTicks: 3,
  });
});

Deno.test("parseProcStat() counts fields from the last parenthesis, whatever the name holds", () => {
  const stat = parseProcStat(statLine(42, "we(ird) name) x", 250, 31));
  assert.equal(stat.comm, "we(ird) name) x");
  assert.equal(stat.utimeTicks, 250);
  assert.equal(stat.stimeTicks, 31);
  assert.equal(stat.ppid, 1);
});

Deno.test("parseProcStat() refuses text that is not a stat line", () => {
  assert.throws(() => parseProcStat(""), SyntaxError);
  assert.throws(() => parseProcStat("12 deno S 1"), SyntaxError);
  assert.throws(() => parseProcStat("12 (deno) S 1 2 3"), SyntaxError);
  assert.throws(() => parseProcStat("(deno) S 1 1 1 0 -1 0 0 0 0 0 1 1"), SyntaxError);
  assert.throws(() => parseProcStat("x (deno) S 1 1 1 0 -1 0 0 0 0 0 1 1"), SyntaxError);
});

Deno.test("cpuSecondsBetween() adds user and system ticks and divides by ticks per second", () => {
  const before = parseProcStat(statLine(7, "deno", 100, 50));
  const after = parseProcStat(statLine(7, "deno", 300, 125));
  assert.equal(cpuSecondsBetween(before, after, 100), 2.75);
  assert.equal(cpuSecondsBetween(before, before, 100), 0);
});

Deno.test("cpuSecondsBetween() refuses samples of two processes or a bad tick rate", () => {
  const a = parseProcStat(statLine(7, "deno", 1, 1));
  const b = parseProcStat(statLine(8, "deno", 2, 2));
  assert.throws(() => cpuSecondsBetween(a, b, 100), RangeError);
  assert.throws(() => cpuSecondsBetween(a, a, 0), RangeError);
});

Deno.test("parsePeakRssKiB() reads VmHWM, not VmRSS or VmPeak", () => {
  const status = "Name:\tdeno\nVmPeak:\t 3896 kB\nVmHWM:\t    1948 kB\nVmRSS:\t    1024 kB\n";
  assert.equal(parsePeakRssKiB(status), 1948);
});

Deno.test("parsePeakRssKiB() throws when the process has no memory lines (a kernel thread)", () => {
  assert.throws(() => parsePeakRssKiB("Name:\tkthreadd\nState:\tS (sleeping)\n"), SyntaxError);
});

const ROLLUP = `556999154000-7ffd683de000 ---p 00000000 00:00 0                          [rollup]
Rss:               91604 kB
Pss:               52249 kB
Pss_Dirty:         40116 kB
Shared_Clean:      48448 kB
Shared_Dirty:          0 kB
Private_Clean:      2040 kB
Private_Dirty:     41116 kB
Referenced:        91604 kB
Anonymous:         41116 kB
`;

Deno.test("parseSmapsRollup() reads RSS, PSS and private (clean + dirty) memory", () => {
  assert.deepEqual(parseSmapsRollup(ROLLUP), {
    rssKiB: 91604,
    pssKiB: 52249,
    privateKiB: 2040 + 41116,
  });
});

Deno.test("parseSmapsRollup() refuses text without the private lines", () => {
  assert.throws(() => parseSmapsRollup("Rss: 1 kB\nPss: 1 kB\n"), SyntaxError);
  assert.throws(() => parseSmapsRollup(""), SyntaxError);
});
