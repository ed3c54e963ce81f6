/** The offline bundle's entry script runs the program as the launcher and `deno compile` do. */
import assert from "node:assert/strict";
import { COMMIT_PLACEHOLDER, entryScript, permissionFlags, TARGETS } from "../../build.ts";
import { CODE_CACHE_FLAG, v8FlagsArgument } from "../../src/runtime/v8_flags.ts";
import denoJson from "../../deno.json" with { type: "json" };

Deno.test("permissionFlags() grants exactly deno.json's permissions.default, as -P does", () => {
  const granted = Object.entries(denoJson.permissions.default).flatMap(([name, value]) =>
    value === true
      ? [`--allow-${name}`]
      : Array.isArray(value)
      ? [`--allow-${name}=${value.join(",")}`]
      : []
  );
  assert.deepEqual(permissionFlags(), granted);
  assert.ok(!permissionFlags().includes("--allow-all"));
});

Deno.test("entryScript() runs lib/sssonector.js offline with the permissions, V8 flags and shim", () => {
  for (const target of TARGETS) {
    const script = entryScript(target, "sssonector 0.0.0 (commit abc, deno 0.0.0, x)");
    assert.match(script, /^#!\/bin\/sh\n/);
    const exec = script.split("\n").find((line) => line.startsWith("exec "));
    assert.ok(exec, "the script ends by exec'ing Deno");
    const flags = ["--cached-only", "--no-config", ...permissionFlags(), v8FlagsArgument()];
    for (const flag of [...flags, CODE_CACHE_FLAG]) {
      assert.ok(exec.split(" ").includes(flag), `${target.arch}: ${flag}`);
    }
    // Deno runs through a link named sssonector (lib/bin/), so ps, pidof and pkill see that name.
    assert.match(exec, /^exec "\$lib\/bin\/sssonector" run .* "\$lib\/sssonector\.js" "\$@"$/);
    assert.match(script, /^DENO_DIR=\$lib\/deno-dir$/m);
    assert.match(script, /^SSSONECTOR_TUN_LIB=\$lib\/libsssonector_tun\.so$/m);
    assert.match(script, new RegExp(`"\\$machine" != ${target.arch} \\]`));
  }
});

Deno.test("src/base/version.ts carries the placeholder build.ts bakes the commit into", async () => {
  const source = await Deno.readTextFile(new URL("../../src/base/version.ts", import.meta.url));
  assert.equal(source.split(JSON.stringify(COMMIT_PLACEHOLDER)).length - 1, 1);
});
