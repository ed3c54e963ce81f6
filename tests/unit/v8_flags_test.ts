import assert from "node:assert/strict";
import { CODE_CACHE_FLAG, V8_FLAGS, v8FlagsArgument } from "../../src/runtime/v8_flags.ts";

Deno.test("the launcher runs with the same V8 flags as child processes and the compiled binary", async () => {
  const launcher = await Deno.readTextFile(new URL("../../sssonector", import.meta.url));
  const line = /^V8_FLAGS="([^"]*)"$/m.exec(launcher);
  assert.ok(line, "./sssonector sets V8_FLAGS");
  assert.deepEqual(line[1]!.split(","), [...V8_FLAGS]);
  assert.match(launcher, /--v8-flags="\$V8_FLAGS"/);
  assert.equal(v8FlagsArgument(), `--v8-flags=${line[1]}`);
});

Deno.test("the launcher runs the program without Deno's code cache, as the bundle and binary do", async () => {
  const launcher = await Deno.readTextFile(new URL("../../sssonector", import.meta.url));
  const exec = launcher.split("\n").find((line) => line.startsWith("exec -a sssonector "));
  assert.ok(exec, "./sssonector ends by exec'ing the program");
  assert.equal(CODE_CACHE_FLAG, "--no-code-cache");
  assert.ok(exec.split(" ").includes(CODE_CACHE_FLAG), exec);
});
