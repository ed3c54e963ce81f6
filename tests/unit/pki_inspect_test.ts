import assert from "node:assert/strict";
import { join } from "node:path";
import { type CertificateSetFiles, checkCertificateSet } from "../../src/pki/certificate_set.ts";
import { describeCertificate } from "../../src/pki/describe.ts";
import type { GeneratedFiles } from "../../src/pki/generate.ts";
import { PkiError } from "../../src/pki/errors.ts";
import { makeOpensslSet, opensslOk, PkiFixtures, readText } from "../lib/pki_fixtures.ts";

const fixtures = new PkiFixtures();
const DAY_MS = 24 * 60 * 60 * 1000;

function serverFiles(set: GeneratedFiles): CertificateSetFiles {
  return {
    certFile: set.serverCertFile ?? "",
    keyFile: set.serverKeyFile ?? "",
    caFile: set.caCertFile,
  };
}

function clientFiles(set: GeneratedFiles): CertificateSetFiles {
  return { certFile: set.clientCertFile, keyFile: set.clientKeyFile, caFile: set.caCertFile };
}

/** Asserts there is exactly one problem, matching `pattern`, and returns it. */
function onlyProblem(problems: readonly string[], pattern: RegExp): string {
  assert.equal(problems.length, 1, `expected one problem, got:\n${problems.join("\n")}`);
  const [problem = ""] = problems;
  assert.match(problem, pattern);
  return problem;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function writeFile(name: string, text: string): Promise<string> {
  const path = join(await fixtures.tempDir("bad"), name);
  await Deno.writeTextFile(path, text);
  return path;
}

for (const keyType of ["ecdsa-p256", "rsa-2048"] as const) {
  Deno.test(`checkCertificateSet() finds no problem in a freshly generated ${keyType} set`, async () => {
    const set = await fixtures.generatedSet(keyType);
    assert.deepEqual(await checkCertificateSet(serverFiles(set), "server"), []);
    assert.deepEqual(await checkCertificateSet(clientFiles(set), "client"), []);
  });
}

Deno.test("checkCertificateSet() finds no problem in a set made by the openssl CLI", async () => {
  const set = await makeOpensslSet(await fixtures.tempDir("openssl"));
  const files = {
    certFile: set.serverCertFile,
    keyFile: set.serverKeyFile,
    caFile: set.caCertFile,
  };
  assert.deepEqual(await checkCertificateSet(files, "server"), []);
});

Deno.test("checkCertificateSet() accepts a CA bundle in which one CA signed the certificate", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const other = await fixtures.generatedSet("ecdsa-p256", "other");
  const bundle = await writeFile(
    "bundle.crt",
    (await readText(other.caCertFile)) + (await readText(set.caCertFile)),
  );
  assert.deepEqual(
    await checkCertificateSet({ ...serverFiles(set), caFile: bundle }, "server"),
    [],
  );
});

Deno.test("checkCertificateSet() reports a certificate signed by another CA", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const other = await fixtures.generatedSet("ecdsa-p256", "other");
  const files = { ...serverFiles(set), caFile: other.caCertFile };
  onlyProblem(
    await checkCertificateSet(files, "server"),
    new RegExp(
      `^${escape(files.certFile)}: certificate is not signed by the CA in ${
        escape(other.caCertFile)
      }$`,
    ),
  );
});

Deno.test("checkCertificateSet() reports a private key that belongs to another certificate", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const swapped = { ...serverFiles(set), keyFile: set.clientKeyFile };
  onlyProblem(
    await checkCertificateSet(swapped, "server"),
    new RegExp(
      `^${escape(set.clientKeyFile)}: the private key does not match the certificate in ` +
        escape(swapped.certFile),
    ),
  );
  // A key of another algorithm does not match either.
  const rsa = await fixtures.generatedSet("rsa-2048");
  onlyProblem(
    await checkCertificateSet({ ...serverFiles(set), keyFile: rsa.serverKeyFile ?? "" }, "server"),
    /does not match the certificate/,
  );
});

Deno.test("checkCertificateSet() reports an expired certificate with its end date", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const summary = await describeCertificate(await readText(set.serverCertFile ?? ""));
  const later = new Date(summary.notAfter.getTime() + DAY_MS);
  const end = summary.notAfter.toISOString().replace(/\.000Z$/, "Z");
  onlyProblem(
    await checkCertificateSet(serverFiles(set), "server", later),
    new RegExp(`^${escape(set.serverCertFile ?? "")}: certificate expired on ${escape(end)}`),
  );
  // Eleven years on, the CA has expired too.
  const muchLater = new Date(Date.now() + 11 * 365 * DAY_MS);
  const problems = await checkCertificateSet(serverFiles(set), "server", muchLater);
  assert.equal(problems.length, 2, problems.join("\n"));
  assert.match(problems.join("\n"), /ca\.crt: CA certificate "CN=SSSonector CA" expired on/);
});

Deno.test("checkCertificateSet() reports a certificate that is not yet valid", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const earlier = new Date(Date.now() - DAY_MS);
  const problems = await checkCertificateSet(clientFiles(set), "client", earlier);
  assert.equal(problems.length, 2, problems.join("\n"));
  assert.match(problems[0] ?? "", /client\.crt: certificate is not yet valid: valid from \d{4}-/);
  assert.match(problems[1] ?? "", /ca\.crt: CA certificate "CN=SSSonector CA" is not yet valid/);
});

Deno.test("checkCertificateSet() reports a server certificate used as a client and the reverse", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  onlyProblem(
    await checkCertificateSet(serverFiles(set), "client"),
    /server\.crt: certificate cannot be used as a TLS client: its extendedKeyUsage lacks clientAuth$/,
  );
  onlyProblem(
    await checkCertificateSet(clientFiles(set), "server"),
    /client\.crt: certificate cannot be used as a TLS server: its extendedKeyUsage lacks serverAuth$/,
  );
});

Deno.test("checkCertificateSet() reports a CA file that holds no CA certificate", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const files = { ...clientFiles(set), caFile: set.serverCertFile ?? "" };
  const problems = await checkCertificateSet(files, "client");
  assert.ok(
    problems.includes(
      `${files.caFile}: not a CA certificate (basicConstraints CA:TRUE is missing)`,
    ),
    problems.join("\n"),
  );
  assert.ok(problems.some((p) => p.includes("is not signed by the CA")), problems.join("\n"));
  assert.equal(problems.length, 2, problems.join("\n"));
});

Deno.test("checkCertificateSet() reports a CA certificate used as a server certificate", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const files = { certFile: set.caCertFile, keyFile: set.caKeyFile, caFile: set.caCertFile };
  const problems = await checkCertificateSet(files, "server");
  assert.ok(
    problems.some((p) => /ca\.crt: certificate is a CA certificate/.test(p)),
    problems.join("\n"),
  );
  assert.ok(problems.some((p) => /keyUsage lacks digitalSignature/.test(p)), problems.join("\n"));
});

Deno.test("checkCertificateSet() reports a missing file by name", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const missing = join(await fixtures.tempDir("missing"), "nope.pem");
  for (const field of ["certFile", "keyFile", "caFile"] as const) {
    const files = { ...serverFiles(set), [field]: missing };
    onlyProblem(
      await checkCertificateSet(files, "server"),
      new RegExp(`^${escape(missing)}: cannot read the file: no such file$`),
    );
  }
});

Deno.test("checkCertificateSet() reports garbage in each file by name", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const garbage = await writeFile("garbage.pem", "this is not PEM at all\n\x01\x02\n");
  for (const field of ["certFile", "keyFile", "caFile"] as const) {
    const files = { ...serverFiles(set), [field]: garbage };
    onlyProblem(
      await checkCertificateSet(files, "server"),
      new RegExp(`^${escape(garbage)}: not a PEM file \\(no "-----BEGIN" line\\)$`),
    );
  }
});

Deno.test("checkCertificateSet() reports PEM files of the wrong kind or with broken contents", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const files = serverFiles(set);
  const cases: [Partial<CertificateSetFiles>, RegExp][] = [
    // A key where the certificate belongs, and the reverse.
    [{ certFile: files.keyFile }, /server\.key: not a certificate \(found PRIVATE KEY\)$/],
    [{ keyFile: files.certFile }, /server\.crt: not a PKCS#8 private key \(found CERTIFICATE\)$/],
    [{ caFile: files.keyFile }, /server\.key: not a CA certificate \(found PRIVATE KEY\)$/],
    [
      {
        certFile: await writeFile(
          "badb64.crt",
          "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n",
        ),
      },
      /badb64\.crt: not a valid PEM file: .*base64/,
    ],
    [
      {
        certFile: await writeFile(
          "notder.crt",
          "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcI\n-----END CERTIFICATE-----\n",
        ),
      },
      /notder\.crt: not a valid X\.509 certificate$/,
    ],
    [
      {
        keyFile: await writeFile(
          "notder.key",
          "-----BEGIN PRIVATE KEY-----\nAAECAwQFBgcI\n-----END PRIVATE KEY-----\n",
        ),
      },
      /notder\.key: not a usable PKCS#8 private key/,
    ],
  ];
  for (const [override, pattern] of cases) {
    onlyProblem(await checkCertificateSet({ ...files, ...override }, "server"), pattern);
  }
});

Deno.test("checkCertificateSet() explains legacy and encrypted private keys", async () => {
  const set = await makeOpensslSet(await fixtures.tempDir("legacy"));
  const dir = join(set.serverKeyFile, "..");
  const legacy = join(dir, "legacy.key");
  const encrypted = join(dir, "encrypted.key");
  await opensslOk(["pkey", "-in", set.serverKeyFile, "-traditional", "-out", legacy]);
  await opensslOk([
    "pkcs8",
    "-topk8",
    "-in",
    set.serverKeyFile,
    "-passout",
    "pass:secret",
    "-out",
    encrypted,
  ]);
  const files = { certFile: set.serverCertFile, keyFile: legacy, caFile: set.caCertFile };
  onlyProblem(
    await checkCertificateSet(files, "server"),
    /legacy\.key: not a PKCS#8 private key \(found RSA PRIVATE KEY\); convert it with "openssl pkcs8 -topk8 -nocrypt -in .*legacy\.key"$/,
  );
  onlyProblem(
    await checkCertificateSet({ ...files, keyFile: encrypted }, "server"),
    /encrypted\.key: the private key is encrypted; an unencrypted PKCS#8 key is needed$/,
  );
});

Deno.test("checkCertificateSet() names one of the three files in every problem", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const other = await fixtures.generatedSet("rsa-2048");
  // Wrong role, wrong key, wrong CA and expired, all at once.
  const files = {
    certFile: set.clientCertFile,
    keyFile: other.clientKeyFile,
    caFile: other.caCertFile,
  };
  const problems = await checkCertificateSet(files, "server", new Date(Date.now() + 400 * DAY_MS));
  assert.equal(problems.length, 4, problems.join("\n"));
  for (const problem of problems) {
    assert.ok(
      Object.values(files).some((path) => problem.startsWith(`${path}: `)),
      `names a file: ${problem}`,
    );
    assert.ok(!problem.includes("\n"));
  }
});

Deno.test("describeCertificate() agrees with openssl on subject, issuer, serial, dates, SANs and fingerprint", async () => {
  const set = await fixtures.generatedSet("rsa-2048");
  const file = set.serverCertFile ?? "";
  const summary = await describeCertificate(await readText(file));
  const out = await opensslOk([
    "x509",
    "-in",
    file,
    "-noout",
    "-serial",
    "-fingerprint",
    "-sha256",
    "-dateopt",
    "iso_8601",
    "-startdate",
    "-enddate",
  ]);
  assert.equal(summary.subject, "CN=10.20.30.40");
  assert.equal(summary.issuer, "CN=SSSonector CA");
  assert.match(out, new RegExp(`serial=${summary.serialHex}\\n`));
  assert.match(out, new RegExp(`Fingerprint=${summary.fingerprintSha256}\\n`));
  const date = (d: Date) => d.toISOString().replace("T", " ").replace(/\.000Z$/, "Z");
  assert.match(out, new RegExp(`notBefore=${date(summary.notBefore)}`));
  assert.match(out, new RegExp(`notAfter=${date(summary.notAfter)}`));
  assert.deepEqual(summary.sans, [
    "IP:10.20.30.40",
    "DNS:vpn.example.com",
    "DNS:tunnel.example.org",
  ]);
});

Deno.test("describeCertificate() reads a certificate made by openssl", async () => {
  const set = await makeOpensslSet(await fixtures.tempDir("describe"));
  const summary = await describeCertificate(await readText(set.serverCertFile));
  assert.equal(summary.serialHex, "1234567890ABCDEF");
  assert.equal(summary.issuer, "CN=OpenSSL Test CA");
  assert.deepEqual(summary.sans, ["IP:10.9.9.9"]);
});

Deno.test("describeCertificate() throws a PkiError for text without a certificate", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  for (const text of ["", "hello", await readText(set.serverKeyFile ?? "")]) {
    await assert.rejects(describeCertificate(text), (error: unknown) => {
      assert.ok(error instanceof PkiError);
      assert.match(error.message, /^The text holds no PEM certificate$/);
      return true;
    });
  }
});
