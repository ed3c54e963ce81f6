/** The command line of the certificate lifecycle: --new-ca, --renew, --list-certs, revocation. */

import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/args.ts";
import { UsageError } from "../../src/cli/errors.ts";
import { thrown } from "../lib/thrown.ts";

const usageError = (argv: string[]) =>
  thrown(UsageError, () => parseCommandLine(argv), JSON.stringify(argv));

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

Deno.test("parseCommandLine() reads --renew NAME with --cert-dir and an optional --days", () => {
  assert.deepEqual(parseCommandLine(["--renew", "server", "--cert-dir", "c"]), {
    kind: "renew",
    options: { certDir: "c", name: "server" },
  });
  assert.deepEqual(parseCommandLine(["-renew=web2", "-cert-dir", "c", "--days", "90"]), {
    kind: "renew",
    options: { certDir: "c", name: "web2", days: 90 },
  });
  assert.equal(usageError(["--renew", "server"]).message, "--renew needs --cert-dir DIR");
  assert.equal(usageError(["--renew"]).message, "--renew needs a value: --renew NAME");
  assert.match(
    usageError(["--renew", "x", "--cert-dir", "c", "--days", "0"]).message,
    /^--days "0" is not allowed; expected a whole number of days from 1 to 3650$/,
  );
});

Deno.test("parseCommandLine() reads --list-certs and --refresh-crl", () => {
  assert.deepEqual(parseCommandLine(["--list-certs", "--cert-dir", "c"]), {
    kind: "list-certs",
    certDir: "c",
  });
  assert.deepEqual(parseCommandLine(["--refresh-crl", "--cert-dir", "c", "--crl-days", "7"]), {
    kind: "refresh-crl",
    options: { certDir: "c", crlDays: 7 },
  });
  assert.equal(usageError(["--list-certs"]).message, "--list-certs needs --cert-dir DIR");
  assert.match(
    usageError(["--refresh-crl", "--cert-dir", "c", "--crl-days", "400"]).message,
    /^--crl-days "400" is not allowed; expected a whole number of days from 1 to 365$/,
  );
});

Deno.test("parseCommandLine() reads --revoke-cert NAME and --revoke-serial HEX, one of the two", () => {
  assert.deepEqual(parseCommandLine(["--revoke-cert", "web2", "--cert-dir", "c"]), {
    kind: "revoke-cert",
    options: { certDir: "c", name: "web2" },
  });
  assert.deepEqual(
    parseCommandLine(["--revoke-serial", "5a:3f", "--cert-dir", "c", "--crl-days", "10"]),
    { kind: "revoke-cert", options: { certDir: "c", serial: "5a:3f", crlDays: 10 } },
  );
  assert.equal(
    usageError(["--revoke-cert", "a", "--revoke-serial", "0A", "--cert-dir", "c"]).message,
    "give --revoke-cert NAME or --revoke-serial HEX, not both",
  );
  assert.equal(
    usageError(["--revoke-serial", "0A"]).message,
    "--revoke-serial needs --cert-dir DIR",
  );
});

Deno.test("parseCommandLine() keeps the lifecycle commands and their flags apart from the others", () => {
  assert.equal(
    usageError(["--renew", "a", "--list-certs", "--cert-dir", "c"]).message,
    "choose one command: --renew NAME and --list-certs were both given",
  );
  assert.equal(
    usageError(["--list-certs", "--cert-dir", "c", "--force"]).message,
    "--force is only used with --generate-certs",
  );
  assert.equal(
    usageError(["--generate-certs", "--cert-dir", "c", "--crl-days", "3"]).message,
    "--crl-days is only used with --revoke-cert NAME or --refresh-crl",
  );
  assert.equal(
    usageError(["--crl-days", "3"]).message,
    "--crl-days is only used with --revoke-cert NAME or --refresh-crl",
  );
});
