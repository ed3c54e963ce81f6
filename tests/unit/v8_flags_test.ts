import assert from "node:assert/strict";
import { V8_FLAGS, v8FlagsArgument } from "../../src/runtime/v8_flags.ts";

Deno.test("the launcher runs with the same V8 flags as child processes and the compiled binary", async () => {
  const launcher = await Deno.readTextFile(new URL("../../sssonector", import.meta.url));
  const line = /^V8_FLAGS="([^"]*)"$/m.exec(launcher);
  assert.ok(line, "./sssonector sets V8_FLAGS");
  assert.deepEqual(line[1]!.split(","), [...V8_FLAGS]);
  assert.match(launcher, /--v8-flags="\$V8_FLAGS"/);
  assert.equal(v8FlagsArgument(), `--v8-flags=${line[1]}`);
});
