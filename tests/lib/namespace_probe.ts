/**
 * Runs a probe script of tests/lib in a namespace of its own, made for the run and removed after
 * it (also when it fails), and returns the one JSON report it prints.
 *
 * @module
 */
import assert from "node:assert/strict";
import { run, runOk } from "../../tools/lab/netns_lab.ts";

/** `deno run -A SCRIPT ARGS` in a fresh namespace `ns`; with `timeoutSeconds`, killed after it. */
export async function probeInNamespace(
  ns: string,
  script: string,
  args: readonly string[],
  options: { readonly timeoutSeconds?: number } = {},
  // deno-lint-ignore no-explicit-any -- the report's shape is the probe script's
): Promise<any> {
  await runOk("ip", ["netns", "add", ns]);
  try {
    const limit = options.timeoutSeconds === undefined
      ? []
      : ["timeout", String(options.timeoutSeconds)];
    const out = await run("ip", [
      "netns",
      "exec",
      ns,
      ...limit,
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      script,
      ...args,
    ]);
    assert.equal(out.code, 0, out.stderr);
    return JSON.parse(out.stdout);
  } finally {
    await run("ip", ["netns", "del", ns]);
  }
}
