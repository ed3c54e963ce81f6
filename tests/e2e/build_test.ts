import assert from "node:assert/strict";
import { shimPath, TARGETS } from "../../build.ts";
import { tunSymbols } from "../../src/tun/ffi.ts";
import { run } from "../../tools/lab/netns_lab.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const ELF_MACHINE: Record<string, number> = { x86_64: 0x3e, aarch64: 0xb7 };

Deno.test("build.ts --native-only builds a TUN shim for every architecture, exporting every FFI symbol", async () => {
  const out = await run(Deno.execPath(), ["run", "-A", `${ROOT}build.ts`, "--native-only"]);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  for (const target of TARGETS) {
    const path = `${ROOT}${shimPath(target.triple)}`;
    const elf = await Deno.readFile(path);
    assert.deepEqual([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${path} is ELF`);
    const machine = new DataView(elf.buffer).getUint16(18, true);
    assert.equal(
      machine,
      ELF_MACHINE[target.arch],
      `${target.arch} shim has the right machine type`,
    );
    const nm = await run("nm", ["-D", "--defined-only", path]);
    for (const symbol of Object.keys(tunSymbols)) {
      assert.match(
        nm.stdout,
        new RegExp(`\\bT ${symbol}$`, "m"),
        `${target.arch} exports ${symbol}`,
      );
    }
  }
});

Deno.test("build.ts refuses an unknown option with one line and its usage, exit 2, no stack trace", async () => {
  const out = await run(Deno.execPath(), ["run", "-A", `${ROOT}build.ts`, "--bogus"]);
  assert.equal(out.code, 2);
  assert.deepEqual(out.stderr.trim().split("\n"), [
    "build.ts: Unknown option '--bogus'",
    "usage: deno run -A build.ts [--target x86_64|aarch64] [--native-only]",
  ]);
});
