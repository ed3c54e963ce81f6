import assert from "node:assert/strict";
import { join } from "node:path";
import { generateCertificates } from "../../src/pki/generate.ts";
import type { KeyType } from "../../src/pki/types.ts";
import { PkiError } from "../../src/pki/errors.ts";
import { renewCertificate } from "../../src/pki/renew.ts";
import { makeOpensslSet, openssl, opensslOk, PkiFixtures, readText } from "../lib/pki_fixtures.ts";

const fixtures = new PkiFixtures();
const DAY_MS = 24 * 60 * 60 * 1000;

async function certDir(keyType: KeyType) {
  const dir = await fixtures.tempDir(`renew_${keyType}`);
  const set = await generateCertificates({
    certDir: dir,
    serverIp: "192.0.2.7",
    serverNames: ["vpn.example.com"],
    clientName: "laptop",
    days: 90,
    keyType,
    force: false,
  });
  return { dir, set };
}

/** What openssl says about a certificate that renewing must keep. */
async function profile(certFile: string) {
  const ext = (name: string) => opensslOk(["x509", "-in", certFile, "-noout", "-ext", name]);
  return {
    subject: await opensslOk(["x509", "-in", certFile, "-noout", "-subject"]),
    issuer: await opensslOk(["x509", "-in", certFile, "-noout", "-issuer"]),
    san: await ext("subjectAltName").catch(() => ""),
    eku: await ext("extendedKeyUsage"),
    keyUsage: await ext("keyUsage"),
    keyAlgorithm: (await opensslOk(["x509", "-in", certFile, "-noout", "-text"]))
      .match(/Public Key Algorithm: .*\n\s+(.*Public-Key: \(\d+ bit\))/)?.[0],
  };
}

async function serialOf(certFile: string): Promise<string> {
  const out = await opensslOk(["x509", "-in", certFile, "-noout", "-serial"]);
  return out.trim().replace(/^serial=/, "");
}

for (const keyType of ["ecdsa-p256", "rsa-2048"] as const) {
  for (const name of ["server", "laptop"]) {
    Deno.test(`renewCertificate() renews the ${keyType} ${name} certificate: same names, usage and key type, new key and serial, from the same CA`, async () => {
      const { dir, set } = await certDir(keyType);
      const certFile = join(dir, `${name}.crt`);
      const keyFile = join(dir, `${name}.key`);
      const before = await profile(certFile);
      const [oldSerial, oldKey] = [await serialOf(certFile), await readText(keyFile)];

      const result = await renewCertificate({ certDir: dir, name });
      assert.equal(result.certFile, certFile);
      assert.equal(result.keyFile, keyFile);
      assert.equal(result.keyType, keyType);
      assert.equal(result.oldSerialHex, oldSerial);
      assert.equal(result.serialHex, await serialOf(certFile));
      assert.notEqual(result.serialHex, oldSerial);

      assert.deepEqual(await profile(certFile), before);
      await opensslOk(["verify", "-CAfile", set.caCertFile, certFile]);
      const purpose = name === "server" ? "sslserver" : "sslclient";
      await opensslOk(["verify", "-CAfile", set.caCertFile, "-purpose", purpose, certFile]);
      // The key is new, and it is the new certificate's.
      assert.notEqual(await readText(keyFile), oldKey);
      assert.equal(
        await opensslOk(["pkey", "-in", keyFile, "-pubout"]),
        await opensslOk(["x509", "-in", certFile, "-pubkey", "-noout"]),
      );
      assert.equal(((await Deno.stat(keyFile)).mode ?? 0) & 0o777, 0o600);
      assert.equal(((await Deno.stat(certFile)).mode ?? 0) & 0o777, 0o644);
      // As long as the old one was valid (90 days), from now.
      const days = (result.notAfter.getTime() - Date.now()) / DAY_MS;
      assert.ok(days > 89.9 && days <= 90, `${days} days`);
      const names: string[] = [];
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
      assert.deepEqual(names.filter((n) => n.startsWith(".")), [], "no temporary files left");
    });
  }
}

Deno.test("renewCertificate() takes --days, and never outlives the CA", async () => {
  const { dir } = await certDir("ecdsa-p256");
  const short = await renewCertificate({ certDir: dir, name: "laptop", days: 7 });
  const days = (short.notAfter.getTime() - Date.now()) / DAY_MS;
  assert.ok(days > 6.9 && days <= 7, `${days} days`);

  const openDir = await fixtures.tempDir("renew_openssl");
  const set = await makeOpensslSet(openDir, 30); // CA valid 30 days, server 7
  const renewed = await renewCertificate({ certDir: openDir, name: "server", days: 365 });
  const caEnd = await opensslOk(["x509", "-in", set.caCertFile, "-noout", "-enddate"]);
  assert.equal(
    renewed.notAfter.getTime(),
    new Date(caEnd.trim().replace(/^notAfter=/, "")).getTime(),
  );
  assert.deepEqual(renewed.sans, ["IP:10.9.9.9"]);
  assert.equal(renewed.keyType, "rsa-2048");
  assert.equal(renewed.subject, "CN=10.9.9.9");
  await opensslOk([
    "verify",
    "-CAfile",
    set.caCertFile,
    "-purpose",
    "sslserver",
    set.serverCertFile,
  ]);
});

Deno.test("renewCertificate() refuses, in one line, what it cannot renew", async () => {
  const { dir } = await certDir("ecdsa-p256");
  const refuses = (promise: Promise<unknown>, pattern: RegExp) =>
    assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof PkiError, String(error));
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  await refuses(
    renewCertificate({ certDir: dir, name: "ca" }),
    /^"ca" does not name .*--new-ca\)$/,
  );
  await refuses(renewCertificate({ certDir: dir, name: "a/b" }), /^"a\/b" does not name/);
  await refuses(
    renewCertificate({ certDir: dir, name: "nobody" }),
    /nobody\.crt: cannot read the file: no such file$/,
  );
  await refuses(
    renewCertificate({ certDir: dir, name: "laptop", days: 0 }),
    /^Validity days must be a whole number from 1 to 3650: got "0"$/,
  );
  const other = await fixtures.generatedSet("ecdsa-p256", "other");
  await Deno.copyFile(other.clientCertFile, join(dir, "stranger.crt"));
  await refuses(
    renewCertificate({ certDir: dir, name: "stranger" }),
    /stranger\.crt was not issued by the CA in .*ca\.crt: issue a new one with --generate-certs instead$/,
  );
  // A P-384 key, signed by our CA with openssl: not a key type the tool makes.
  await opensslOk([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-384",
    "-nodes",
    "-subj",
    "/CN=p384",
    "-keyout",
    join(dir, "p384.key"),
    "-out",
    join(dir, "p384.csr"),
  ]);
  await opensslOk([
    "x509",
    "-req",
    "-in",
    join(dir, "p384.csr"),
    "-CA",
    join(dir, "ca.crt"),
    "-CAkey",
    join(dir, "ca.key"),
    "-days",
    "1",
    "-out",
    join(dir, "p384.crt"),
  ]);
  const before = await readText(join(dir, "p384.key"));
  await refuses(
    renewCertificate({ certDir: dir, name: "p384" }),
    /p384\.crt has a key of a type SSSonector does not generate \(EC P-384\)/,
  );
  assert.equal(await readText(join(dir, "p384.key")), before, "nothing was replaced");
  // The CA itself must be usable.
  await Deno.writeTextFile(join(dir, "ca.key"), "garbage\n");
  await refuses(
    renewCertificate({ certDir: dir, name: "laptop" }),
    /ca\.key holds no unencrypted PKCS#8 private key: renewing needs the CA that issued /,
  );
  assert.notEqual((await openssl(["x509", "-in", join(dir, "laptop.crt"), "-noout"])).code, 1);
});
