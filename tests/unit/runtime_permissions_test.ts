/**
 * Deno's permission layer as the tunnel runs it: a child process started with the product's own
 * permission set (deno.json, as the launcher and the compiled binary use it) runs
 * applyRuntimePermissions() as main.ts does after setup, then tries what it revoked.
 */
import assert from "node:assert/strict";

const PROBE = new URL("../lib/permissions_probe.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

async function probe(mode: "server" | "client") {
  const scratch = await Deno.makeTempDir({ prefix: "sssonector-perm-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--frozen", "--quiet", "-P", "--config", CONFIG, PROBE, mode, scratch, CONFIG],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout).trim();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(stdout.split("\n").at(-1)!);
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

function refused(outcome: { ok: boolean; error?: string }, what: string): void {
  assert.equal(outcome.ok, false, `${what} still works`);
  assert.equal(outcome.error, "NotCapable", `${what}: ${JSON.stringify(outcome)}`);
}

for (const mode of ["server", "client"] as const) {
  Deno.test(`the ${mode}'s Deno permissions: no run ever; no env, sys, ffi after setup`, async () => {
    const r = await probe(mode);
    refused(r.runBefore, "running a program (never granted)");
    refused(r.envOtherBefore, "reading $HOME (never granted)");
    assert.deepEqual(r.writeBefore, { ok: true }, "writing during setup");
    assert.deepEqual(r.envOwnBefore, { ok: true }, "SSSONECTOR_DEBUG during setup");

    // write stays: SIGHUP reopens the log file after logrotate renamed it.
    assert.deepEqual(r.write, { ok: true }, "writing (the log file) after setup");
    refused(r.env, "reading SSSONECTOR_DEBUG after setup");
    refused(r.run, "running a program after setup");
    refused(r.ffi, "loading a native library after setup");
    refused(r.sys, "Deno.uid() after setup");
    // Reloads read the certificate files again.
    assert.deepEqual(r.read, { ok: true }, "reading after setup");
    // net stays: the client dials again after every disconnect, the server's monitor accepts.
    assert.deepEqual(r.net, { ok: true }, `net on the ${mode}`);
    assert.deepEqual(r.revoked, ["run", "env", "sys", "ffi"]);
  });
}
