/** The certificate commands as a user runs them: exit codes, output and one-line errors. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CommandResult, opensslOk, PkiFixtures, runSssonector } from "../lib/pki_fixtures.ts";

const fixtures = new PkiFixtures();

function assertOneLineError(result: CommandResult, pattern: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line expected:\n${result.stderr}`);
  assert.match(lines[0] ?? "", pattern);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
}

async function generate(dir: string, ...extra: string[]): Promise<CommandResult> {
  return await runSssonector([
    "--generate-certs",
    "--cert-dir",
    dir,
    "--server-ip",
    "192.0.2.1",
    ...extra,
  ]);
}

Deno.test("--generate-certs --force keeps the CA; --new-ca replaces it and warns that old certificates stop working", async () => {
  const dir = await fixtures.tempDir("cli_newca");
  assert.equal((await generate(dir)).code, 0);
  const ca = await Deno.readTextFile(join(dir, "ca.crt"));

  const forced = await generate(dir, "--force");
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /issued from the existing CA .*ca\.crt/);
  assert.doesNotMatch(forced.stdout, /wrote .*ca\.(crt|key)/);
  assert.equal(forced.stderr, "");
  assert.equal(await Deno.readTextFile(join(dir, "ca.crt")), ca, "--force left the CA alone");

  const replaced = await generate(dir, "--new-ca", "--force");
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.match(replaced.stdout, /wrote .*ca\.key\nwrote .*ca\.crt\n/);
  assert.match(
    replaced.stderr,
    /^sssonector: warning: a new CA replaced .*ca\.crt: every certificate the old CA issued stops working; re-issue them and copy the new ca\.crt to every host\n$/,
  );
  assert.notEqual(await Deno.readTextFile(join(dir, "ca.crt")), ca);
  await opensslOk(["verify", "-CAfile", join(dir, "ca.crt"), join(dir, "server.crt")]);
});

Deno.test("--generate-certs --new-ca without --force refuses to overwrite the server files, in one line", async () => {
  const dir = await fixtures.tempDir("cli_newca_noforce");
  assert.equal((await generate(dir)).code, 0);
  assertOneLineError(
    await generate(dir, "--new-ca"),
    /^sssonector: Refusing to overwrite .*server\.key: it exists; pass --force to replace it$/,
  );
});
