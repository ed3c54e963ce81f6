import assert from "node:assert/strict";
import { shimPath, TARGETS } from "../../build.ts";
import { nativeSymbols } from "../../src/native/symbols.ts";
import { run } from "../../tools/lab/netns_lab.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const BUILD = `${ROOT}build.ts`;
/** ELF e_machine of each target: EM_X86_64 and EM_AARCH64. */
const ELF_MACHINE: Record<string, number> = { x86_64: 0x3e, aarch64: 0xb7 };
const ET_DYN = 3;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

// First in the file: it leaves no shim, and the next test builds them again.
Deno.test("build.ts --target fails when the target's C compiler is missing, and leaves no stale shim", async () => {
  // A PATH with a shell and no compiler at all.
  const bin = await Deno.makeTempDir({ prefix: "sssonector-build-test-" });
  try {
    await Deno.symlink("/bin/sh", `${bin}/sh`);
    for (const target of TARGETS) {
      const path = `${ROOT}${shimPath(target.triple)}`;
      await Deno.mkdir(path.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(path, "a shim from an earlier build\n");
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", BUILD, "--native-only", "--target", target.arch],
        env: { PATH: bin },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, `${target.arch}: ${stderr}`);
      assert.match(stderr, new RegExp(`^build\\.ts: no C compiler for ${target.arch} \\(`, "m"));
      assert.equal(await exists(path), false, `${target.arch}: the old shim is gone`);
    }
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("build.ts --native-only --target builds a fresh TUN shim for each architecture, exporting every FFI symbol", async () => {
  for (const target of TARGETS) {
    const started = Date.now();
    const out = await run(Deno.execPath(), [
      "run",
      "-A",
      BUILD,
      "--native-only",
      "--target",
      target.arch,
    ]);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    const path = `${ROOT}${shimPath(target.triple)}`;
    const modified = (await Deno.stat(path)).mtime?.getTime() ?? 0;
    assert.ok(modified >= started, `${path} was written by this build, not left by an earlier one`);
    const elf = await Deno.readFile(path);
    assert.deepEqual([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${path} is ELF`);
    const header = new DataView(elf.buffer);
    assert.equal(header.getUint16(16, true), ET_DYN, `${target.arch} shim is a shared object`);
    assert.equal(
      header.getUint16(18, true),
      ELF_MACHINE[target.arch],
      `${target.arch} shim has the right machine type`,
    );
    const nm = await run("nm", ["-D", "--defined-only", path]);
    for (const symbol of Object.keys(nativeSymbols)) {
      assert.match(
        nm.stdout,
        new RegExp(`\\bT ${symbol}$`, "m"),
        `${target.arch} exports ${symbol}`,
      );
    }
  }
});

Deno.test("build.ts refuses an unknown option with one line and its usage, exit 2, no stack trace", async () => {
  const out = await run(Deno.execPath(), ["run", "-A", BUILD, "--bogus"]);
  assert.equal(out.code, 2);
  assert.deepEqual(out.stderr.trim().split("\n"), [
    "build.ts: Unknown option '--bogus'",
    "usage: ./sssonector build [--target x86_64|aarch64] [--native-only] [--no-deb]",
  ]);
});

Deno.test("./sssonector build runs build.ts with the launcher's pinned Deno, none on PATH needed", async () => {
  const out = await new Deno.Command(`${ROOT}sssonector`, {
    args: ["build", "--help"],
    // No deno on PATH: the launcher uses its own (.tools/) when the pinned one is not there.
    env: { PATH: "/usr/bin:/bin" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(new TextDecoder().decode(out.stdout), /^usage: \.\/sssonector build /m);
});
