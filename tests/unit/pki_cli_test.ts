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

Deno.test("--renew, --revoke-cert, --revoke-serial, --refresh-crl and --list-certs work together as the certificates guide says", async () => {
  const dir = await fixtures.tempDir("cli_lifecycle");
  assert.equal((await generate(dir, "--client-name", "web2")).code, 0);
  const oldSerial = (await opensslOk(["x509", "-in", join(dir, "web2.crt"), "-noout", "-serial"]))
    .trim().replace(/^serial=/, "");

  const renewed = await runSssonector(["--renew", "web2", "--cert-dir", dir]);
  assert.equal(renewed.code, 0, renewed.stderr);
  assert.match(
    renewed.stdout,
    new RegExp(
      `^wrote .*web2\\.key\\nwrote .*web2\\.crt\\nrenewed CN=web2 \\(ecdsa-p256\\): serial ` +
        `${oldSerial} -> [0-9A-F]+, expires \\S+Z\\nthe old certificate stays valid until \\S+Z; ` +
        `to end it sooner: sssonector --revoke-serial ${oldSerial} --cert-dir ${dir}\\n$`,
    ),
  );

  const bySerial = await runSssonector(["--revoke-serial", oldSerial, "--cert-dir", dir]);
  assert.equal(bySerial.code, 0, bySerial.stderr);
  assert.match(bySerial.stdout, new RegExp(`^revoked serial ${oldSerial}\\n`));
  assert.match(bySerial.stdout, /\nwrote .*ca\.crl number 2, 1 revoked, current until \S+Z\n/);

  const byName = await runSssonector(["--revoke-cert", "web2", "--cert-dir", dir]);
  assert.equal(byName.code, 0, byName.stderr);
  assert.match(byName.stdout, /^revoked serial [0-9A-F]+ \(CN=web2\)\nwrote .*number 3, 2 revoked/);
  const again = await runSssonector(["--revoke-cert", "web2", "--cert-dir", dir]);
  assert.match(again.stdout, /^serial [0-9A-F]+ \(CN=web2\) is already revoked, since \S+Z\n/);

  const refreshed = await runSssonector(["--refresh-crl", "--cert-dir", dir, "--crl-days", "3"]);
  assert.equal(refreshed.code, 0, refreshed.stderr);
  assert.match(refreshed.stdout, /^wrote .*ca\.crl number 4, 2 revoked, current until \S+Z\n$/);

  const listed = await runSssonector(["--list-certs", "--cert-dir", dir]);
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.trimEnd().split("\n");
  assert.match(lines[0] ?? "", /^Certificates in .* \(CRL .*ca\.crl number 4, current until /);
  assert.deepEqual(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 2).join(" ")), [
    "ROLE NAME",
    "ca ca",
    "server server",
    "client web2",
  ]);
  assert.match(lines.at(-1) ?? "", / {2}yes, \S+Z$/);
  await opensslOk([
    "crl",
    "-in",
    join(dir, "ca.crl"),
    "-CAfile",
    join(dir, "ca.crt"),
    "-noout",
  ]);
});

Deno.test("certificate command errors are one line, exit 2 and no stack trace", async () => {
  const dir = await fixtures.tempDir("cli_errors");
  assert.equal((await generate(dir)).code, 0);
  assertOneLineError(
    await runSssonector(["--renew", "nobody", "--cert-dir", dir]),
    /^sssonector: .*nobody\.crt: cannot read the file: no such file$/,
  );
  assertOneLineError(
    await runSssonector(["--revoke-serial", "xyz", "--cert-dir", dir]),
    /^sssonector: Serial "xyz" is not a certificate serial number/,
  );
  assertOneLineError(
    await runSssonector(["--list-certs", "--cert-dir", join(dir, "missing")]),
    /^sssonector: Cannot list the certificate folder .*missing: /,
  );
});

/** A server configuration for the certificates in `dir`, written beside them. */
async function serverConfig(dir: string, extra = ""): Promise<string> {
  const path = join(dir, "server.yaml");
  await Deno.writeTextFile(
    path,
    `mode: server\nlisten: 127.0.0.1:4433\naddress: 10.0.0.1/24\nsecurity:\n  tls:\n` +
      `    cert_file: server.crt\n    key_file: server.key\n    ca_file: ca.crt\n${extra}`,
  );
  return path;
}

Deno.test("a key file readable by others is refused at start with the chmod that fixes it", async () => {
  const dir = await fixtures.tempDir("cli_keymode");
  assert.equal((await generate(dir)).code, 0);
  const config = await serverConfig(dir);
  const key = join(dir, "server.key");
  await Deno.chmod(key, 0o644);
  assertOneLineError(
    await runSssonector(["--check-config", "-config", config]),
    new RegExp(
      `^${config}: security\\.tls\\.key_file ${key} is readable by others \\(mode 0644\\); ` +
        `fix with: chmod 640 ${key} && chgrp nogroup ${key} \\(the tunnel's run group, which ` +
        "re-reads it on SIGHUP\\)$",
    ),
  );
});

Deno.test({
  name: "a key file readable by a group other than the run group is refused with the chgrp",
  ignore: Deno.uid() !== 0, // chown to another group needs root
  fn: async () => {
    const dir = await fixtures.tempDir("cli_keygroup");
    assert.equal((await generate(dir)).code, 0);
    const config = await serverConfig(dir);
    const key = join(dir, "server.key");
    // Group-readable is for the run group only (nogroup: the default run user nobody's group).
    await Deno.chmod(key, 0o640);
    await Deno.chown(key, null, 0);
    assertOneLineError(
      await runSssonector(["--check-config", "-config", config]),
      new RegExp(
        `^${config}: security\\.tls\\.key_file ${key} is readable by group 0 \\(mode 0640\\), not ` +
          `by the run group nogroup \\(65534\\) alone; fix with: chgrp nogroup ${key}`,
      ),
    );
    await Deno.chown(key, null, 65534);
    const fine = await runSssonector(["--check-config", "-config", config]);
    assert.equal(fine.code, 0, fine.stderr);
  },
});

Deno.test("crl_file: the configuration names the CRL; a revoked own certificate or an expired CRL stops the start in one line", async () => {
  const dir = await fixtures.tempDir("cli_crl");
  assert.equal((await generate(dir)).code, 0);
  assert.equal((await runSssonector(["--refresh-crl", "--cert-dir", dir])).code, 0);
  const config = await serverConfig(dir, "    crl_file: ca.crl\n");
  const check = await runSssonector(["--check-config", "-config", config]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, new RegExp(`crl_file: ${join(dir, "ca.crl")}\\n`));

  assert.equal((await runSssonector(["--revoke-cert", "server", "--cert-dir", dir])).code, 0);
  assertOneLineError(
    await runSssonector(["--check-config", "-config", config]),
    /^.*server\.yaml: .*server\.crt: certificate serial [0-9A-F]+ is revoked by .*ca\.crl \(since \S+Z\); issue a new one with --renew$/,
  );

  await Deno.writeTextFile(join(dir, "ca.crl"), "not a crl\n");
  assertOneLineError(
    await runSssonector(["--check-config", "-config", config]),
    /server\.yaml: .*ca\.crl: not a PEM file \(no "-----BEGIN" line\)$/,
  );
  await Deno.remove(join(dir, "ca.crl"));
  assertOneLineError(
    await runSssonector(["--check-config", "-config", config]),
    /server\.yaml: security\.tls\.crl_file \(line 9\): cannot read .*ca\.crl: not found$/,
  );
});
