/** The command line of the certificate lifecycle: --new-ca, --renew, --list-certs, revocation. */

import assert from "node:assert/strict";
import { parseCommandLine, UsageError } from "../../src/cli/mod.ts";

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  assert.fail(`expected a UsageError for ${JSON.stringify(argv)}`);
}

Deno.test("parseCommandLine() reads --new-ca as its own flag, apart from --force", () => {
  const command = parseCommandLine(["--generate-certs", "--cert-dir", "c", "--new-ca"]);
  assert.ok(command.kind === "generate-certs");
  assert.equal(command.options.newCa, true);
  assert.equal(command.options.force, false);
  const plain = parseCommandLine(["--generate-certs", "--cert-dir", "c", "--force"]);
  assert.ok(plain.kind === "generate-certs");
  assert.ok(!("newCa" in plain.options), "no newCa unless asked");
  assert.equal(usageError(["--new-ca"]).message, "--new-ca is only used with --generate-certs");
});
