import assert from "node:assert/strict";
import { join } from "node:path";
import type { GeneratedFiles } from "../../src/pki/generate.ts";
import { loadRevocationList, normalizeSerial } from "../../src/pki/crl.ts";
import { PkiError } from "../../src/pki/errors.ts";
import { refreshRevocationList, revokeCertificate } from "../../src/pki/revoke.ts";
import { parseCertificate } from "../../src/pki/x509.ts";
import { decodePem } from "../../src/pki/pem.ts";
import {
  issueCaWithClients,
  makeOpensslSet,
  openssl,
  opensslOk,
  PkiFixtures,
  readText,
} from "../lib/pki_fixtures.ts";

const fixtures = new PkiFixtures();
const DAY_MS = 24 * 60 * 60 * 1000;

/** A fresh folder with a CA, server, client and a second client "web2". */
async function certDir(keyType: "ecdsa-p256" | "rsa-2048" = "ecdsa-p256") {
  const dir = await fixtures.tempDir(`revoke_${keyType}`);
  const [set, web2] = await issueCaWithClients(dir, "192.0.2.1", ["client", "web2"], {
    keyType,
  });
  return { dir, set: set!, web2: web2!, crl: join(dir, "ca.crl") };
}

async function serialOf(file: string): Promise<string> {
  const out = await opensslOk(["x509", "-in", file, "-noout", "-serial"]);
  return out.trim().replace(/^serial=/, "");
}

/** `openssl verify -crl_check` of `certFile` against the CA and CRL of `set`. */
function verifyWithCrl(set: GeneratedFiles, crl: string, certFile: string) {
  return openssl(["verify", "-crl_check", "-CRLfile", crl, "-CAfile", set.caCertFile, certFile]);
}

async function cas(caFile: string) {
  const text = await readText(caFile);
  return decodePem(text).map((block) => parseCertificate(block.der));
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PkiError, `expected a PkiError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"), "one line");
    return true;
  });
}

for (const keyType of ["ecdsa-p256", "rsa-2048"] as const) {
  Deno.test(`revokeCertificate() with a ${keyType} CA writes a v2 CRL that openssl verifies and applies`, async () => {
    const { dir, set, crl } = await certDir(keyType);
    const result = await revokeCertificate({ certDir: dir, name: "client" });
    const serial = await serialOf(set.clientCertFile);
    assert.equal(result.serialHex, serial);
    assert.equal(result.subject, "CN=client");
    assert.equal(result.crl.crlFile, crl);
    assert.equal(result.crl.number, 2n);

    const text = await openssl(["crl", "-in", crl, "-CAfile", set.caCertFile, "-noout", "-text"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, /verify OK/);
    assert.match(text.stdout, /Version 2 \(0x1\)/);
    assert.match(text.stdout, /Issuer: CN ?= ?SSSonector CA/);
    assert.match(text.stdout, /X509v3 CRL Number: \n\s+2\n/);
    assert.match(text.stdout, /X509v3 Authority Key Identifier: \n\s+(keyid:)?[0-9A-F:]{59}\n/);
    assert.match(text.stdout, new RegExp(`Serial Number: ${serial}\\n`));
    assert.match(
      text.stdout,
      keyType === "ecdsa-p256" ? /ecdsa-with-SHA256/ : /sha256WithRSAEncryption/,
    );
    const next = text.stdout.match(/Next Update: (.+)\n/)?.[1] ?? "";
    const days = (new Date(next).getTime() - Date.now()) / DAY_MS;
    assert.ok(days > 29.9 && days <= 30, `nextUpdate in ${days} days`);

    const revoked = await verifyWithCrl(set, crl, set.clientCertFile);
    assert.notEqual(revoked.code, 0);
    assert.match(revoked.stdout + revoked.stderr, /certificate revoked/);
    const fine = await verifyWithCrl(set, crl, set.serverCertFile ?? "");
    assert.equal(fine.code, 0, fine.stdout + fine.stderr);
    assert.equal(((await Deno.stat(crl)).mode ?? 0) & 0o777, 0o644);
  });
}

Deno.test("revokeCertificate() keeps earlier entries and increments the CRL number", async () => {
  const { dir, set, web2, crl } = await certDir();
  await revokeCertificate({ certDir: dir, name: "client" });
  const second = await revokeCertificate({ certDir: dir, name: "web2" });
  assert.equal(second.crl.number, 3n);
  const serials = [await serialOf(set.clientCertFile), await serialOf(web2.clientCertFile)];
  assert.deepEqual(second.crl.entries.map((e) => e.serialHex), serials);
  const text = await opensslOk(["crl", "-in", crl, "-noout", "-text"]);
  assert.match(text, /X509v3 CRL Number: \n\s+3\n/);
  for (const serial of serials) assert.match(text, new RegExp(`Serial Number: ${serial}\\n`));
  for (const file of [set.clientCertFile, web2.clientCertFile]) {
    assert.notEqual((await verifyWithCrl(set, crl, file)).code, 0, file);
  }
  // No temporary files are left behind.
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  assert.deepEqual(names.filter((name) => name.startsWith(".")), []);
});

Deno.test("revokeCertificate() of a serial already listed writes nothing and says when it was revoked", async () => {
  const { dir, crl } = await certDir();
  const first = await revokeCertificate({ certDir: dir, name: "client" });
  const before = await readText(crl);
  const again = await revokeCertificate({ certDir: dir, name: "client" });
  assert.deepEqual(again.alreadyRevokedAt, first.crl.entries[0]?.revokedAt);
  assert.equal(again.crl.number, 2n);
  assert.equal(await readText(crl), before);
});

Deno.test("revokeCertificate() takes a serial in any spelling, e.g. of a certificate whose file is gone", async () => {
  const { dir, set, crl } = await certDir();
  const serial = await serialOf(set.clientCertFile);
  const colons = serial.toLowerCase().match(/../g)?.join(":") ?? "";
  await Deno.remove(set.clientCertFile);
  const result = await revokeCertificate({ certDir: dir, serial: colons });
  assert.equal(result.serialHex, serial);
  assert.equal(result.subject, undefined);
  assert.match(await opensslOk(["crl", "-in", crl, "-noout", "-text"]), new RegExp(serial));
  assert.equal(normalizeSerial("0x00ab"), "AB");
  assert.equal(normalizeSerial("zz"), undefined);
});

Deno.test("refreshRevocationList() re-signs the same entries with a later nextUpdate and the next number", async () => {
  const { dir, set, crl } = await certDir();
  const now = new Date();
  await revokeCertificate({ certDir: dir, name: "client" }, now);
  const later = new Date(now.getTime() + 20 * DAY_MS);
  const refreshed = await refreshRevocationList({ certDir: dir, crlDays: 7 }, later);
  assert.equal(refreshed.number, 3n);
  assert.deepEqual(refreshed.entries.map((e) => e.serialHex), [
    await serialOf(set.clientCertFile),
  ]);
  assert.equal(
    refreshed.nextUpdate.getTime(),
    Math.floor((later.getTime() + 7 * DAY_MS) / 1000) * 1000,
  );
  await opensslOk(["crl", "-in", crl, "-CAfile", set.caCertFile, "-noout"]);
});

Deno.test("refreshRevocationList() starts an empty CRL, without a revokedCertificates list", async () => {
  const { dir, set, crl } = await certDir();
  // A folder from before --generate-certs wrote ca.crl.
  await Deno.remove(crl);
  const written = await refreshRevocationList({ certDir: dir });
  assert.equal(written.number, 1n);
  assert.deepEqual(written.entries, []);
  const text = await opensslOk(["crl", "-in", crl, "-CAfile", set.caCertFile, "-noout", "-text"]);
  assert.match(text, /No Revoked Certificates/);
  assert.equal((await verifyWithCrl(set, crl, set.clientCertFile)).code, 0);
});

Deno.test("revokeCertificate() refuses what it cannot put on our CRL, in one line each", async () => {
  const { dir } = await certDir();
  const other = await fixtures.generatedSet("ecdsa-p256", "other");
  await Deno.copyFile(other.clientCertFile, join(dir, "stranger.crt"));
  await rejectsWith(
    revokeCertificate({ certDir: dir, name: "stranger" }),
    /stranger\.crt was not issued by the CA in .*ca\.crt: only that CA's certificates go on its CRL$/,
  );
  await rejectsWith(
    revokeCertificate({ certDir: dir, name: "nobody" }),
    /nobody\.crt: cannot read the file: no such file$/,
  );
  await rejectsWith(revokeCertificate({ certDir: dir, name: "ca" }), /^"ca" does not name/);
  await rejectsWith(revokeCertificate({ certDir: dir, name: "../x" }), /^"\.\.\/x" does not name/);
  await rejectsWith(
    revokeCertificate({ certDir: dir, serial: "xyz" }),
    /^Serial "xyz" is not a certificate serial number/,
  );
  await rejectsWith(revokeCertificate({ certDir: dir }), /^Name the certificate to revoke/);
  const caSerial = await serialOf(join(dir, "ca.crt"));
  await rejectsWith(
    revokeCertificate({ certDir: dir, serial: caSerial }),
    /is the CA certificate's own: a CA cannot revoke itself/,
  );
  await rejectsWith(
    revokeCertificate({ certDir: dir, name: "client", crlDays: 0 }),
    /^CRL validity days must be a whole number from 1 to 365: got "0"$/,
  );
  // A ca.crl signed by another CA is never extended.
  const foreign = await fixtures.tempDir("foreign_crl");
  await Deno.copyFile(other.caCertFile, join(foreign, "ca.crt"));
  await Deno.copyFile(other.caKeyFile, join(foreign, "ca.key"));
  await refreshRevocationList({ certDir: foreign });
  await Deno.copyFile(join(foreign, "ca.crl"), join(dir, "ca.crl"));
  await rejectsWith(
    revokeCertificate({ certDir: dir, name: "client" }),
    /ca\.crl is not signed by the CA in .*ca\.crt: move it away to start a new CRL$/,
  );
});

Deno.test("revokeCertificate() signs with a CA made by openssl, and openssl applies the CRL", async () => {
  const dir = await fixtures.tempDir("openssl_ca_crl");
  const set = await makeOpensslSet(dir);
  const result = await revokeCertificate({ certDir: dir, name: "server" });
  assert.equal(result.serialHex, "1234567890ABCDEF");
  const out = await openssl([
    "verify",
    "-crl_check",
    "-CRLfile",
    join(dir, "ca.crl"),
    "-CAfile",
    set.caCertFile,
    set.serverCertFile,
  ]);
  assert.match(out.stdout + out.stderr, /certificate revoked/);
});

Deno.test("loadRevocationList() accepts our CRL and answers isRevoked() for any spelling of a serial", async () => {
  const { dir, set, web2, crl } = await certDir();
  await revokeCertificate({ certDir: dir, name: "client" });
  const { problems, list } = await loadRevocationList(
    crl,
    await cas(set.caCertFile),
    set.caCertFile,
  );
  assert.deepEqual(problems, []);
  assert.ok(list);
  const serial = await serialOf(set.clientCertFile);
  assert.equal(list.isRevoked(serial), true);
  assert.equal(list.isRevoked(serial.toLowerCase().match(/../g)?.join(":") ?? ""), true);
  assert.equal(list.isRevoked(await serialOf(web2.clientCertFile)), false);
  assert.equal(list.isRevoked("not hex"), false);
  assert.equal(list.number, 2n);
  assert.match(list.issuer, /^CN=SSSonector CA [0-9A-F]{8}$/);
});

Deno.test("loadRevocationList() reads a CRL made by openssl ca -gencrl, entry extensions and all", async () => {
  const dir = await fixtures.tempDir("openssl_gencrl");
  const set = await makeOpensslSet(dir);
  await Deno.writeTextFile(join(dir, "index.txt"), "");
  await Deno.writeTextFile(join(dir, "crlnumber"), "1000\n");
  await Deno.writeTextFile(
    join(dir, "ca.cnf"),
    `[ca]\ndefault_ca = d\n[d]\ndatabase = ${dir}/index.txt\ncrlnumber = ${dir}/crlnumber\n` +
      "default_md = sha256\ndefault_crl_days = 7\n",
  );
  const ca = ["-config", join(dir, "ca.cnf"), "-keyfile", set.caKeyFile, "-cert", set.caCertFile];
  await opensslOk(["ca", ...ca, "-revoke", set.serverCertFile, "-crl_reason", "keyCompromise"]);
  const crl = join(dir, "openssl.crl");
  await opensslOk(["ca", ...ca, "-gencrl", "-out", crl]);
  const { problems, list } = await loadRevocationList(
    crl,
    await cas(set.caCertFile),
    set.caCertFile,
  );
  assert.deepEqual(problems, []);
  assert.equal(list?.number, 0x1000n);
  assert.equal(list?.isRevoked("1234567890ABCDEF"), true);
});

Deno.test("loadRevocationList() names the file and the fix for an expired, foreign or broken CRL", async () => {
  const { dir, set, crl } = await certDir();
  await revokeCertificate({ certDir: dir, name: "client" });
  const authorities = await cas(set.caCertFile);
  const check = (path: string, now = new Date()) =>
    loadRevocationList(path, authorities, set.caCertFile, now, { certDir: dir });

  const expired = await check(crl, new Date(Date.now() + 31 * DAY_MS));
  assert.equal(expired.list, undefined);
  assert.deepEqual(expired.problems.length, 1);
  assert.match(
    expired.problems[0] ?? "",
    new RegExp(
      `^${crl}: the CRL expired on \\S+Z \\(nextUpdate\\); refresh it where ca\\.key is with ` +
        `"sssonector --refresh-crl --cert-dir ${dir}" \\(or by revoking with --revoke-cert\\) ` +
        "and copy the new ca\\.crl here$",
    ),
  );

  // Another install's CA: its own name gives it away.
  const other = await fixtures.generatedSet("ecdsa-p256", "other");
  const foreign = await fixtures.tempDir("foreign");
  await Deno.copyFile(other.caCertFile, join(foreign, "ca.crt"));
  await Deno.copyFile(other.caKeyFile, join(foreign, "ca.key"));
  await refreshRevocationList({ certDir: foreign });
  const otherName = new TextDecoder().decode(
    (await new Deno.Command("openssl", {
      args: ["x509", "-in", other.caCertFile, "-noout", "-subject", "-nameopt", "RFC2253"],
    }).output()).stdout,
  ).trim().replace(/^subject=/, "");
  assert.match(otherName, /^CN=SSSonector CA [0-9A-F]{8}$/);
  assert.deepEqual((await check(join(foreign, "ca.crl"))).problems, [
    `${
      join(foreign, "ca.crl")
    }: the CRL is issued by "${otherName}", not by the CA in ${set.caCertFile}`,
  ]);

  // Another CA name altogether.
  const opensslDir = await fixtures.tempDir("openssl_issuer");
  await makeOpensslSet(opensslDir);
  await refreshRevocationList({ certDir: opensslDir });
  assert.match(
    (await check(join(opensslDir, "ca.crl"))).problems[0] ?? "",
    /ca\.crl: the CRL is issued by "CN=OpenSSL Test CA", not by the CA in /,
  );

  const garbage = join(dir, "garbage.crl");
  await Deno.writeTextFile(
    garbage,
    "-----BEGIN X509 CRL-----\nAAECAwQFBgcI\n-----END X509 CRL-----\n",
  );
  assert.deepEqual((await check(garbage)).problems, [`${garbage}: not a valid X.509 CRL`]);
  assert.deepEqual((await check(set.caCertFile)).problems, [
    `${set.caCertFile}: not a CRL (found CERTIFICATE)`,
  ]);
  const missing = join(dir, "missing.crl");
  assert.deepEqual((await check(missing)).problems, [
    `${missing}: no such file; create an empty list where ca.key is with "sssonector ` +
    `--refresh-crl --cert-dir ${dir}" and copy its ca.crl here`,
  ]);
});
