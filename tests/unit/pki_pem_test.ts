import assert from "node:assert/strict";
import fc from "fast-check";
import { decodePem, decodePemCertificates, encodePem } from "../../src/pki/pem.ts";
import { opensslOk, PkiFixtures, readText } from "../lib/pki_fixtures.ts";

const fixtures = new PkiFixtures();

Deno.test("encodePem() and decodePem() round-trip any bytes and label", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 400 }),
      fc.constantFrom("CERTIFICATE", "PRIVATE KEY", "X509 CRL", "PUBLIC KEY"),
      (der, label) => {
        const blocks = decodePem(encodePem(label, der));
        assert.equal(blocks.length, 1);
        assert.equal(blocks[0]?.label, label);
        assert.deepEqual(blocks[0]?.der, der);
      },
    ),
  );
});

Deno.test("encodePem() writes 64-character lines and a final newline", () => {
  const pem = encodePem("CERTIFICATE", new Uint8Array(200).fill(7));
  const lines = pem.split("\n");
  assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
  assert.equal(lines.at(-2), "-----END CERTIFICATE-----");
  assert.equal(lines.at(-1), "");
  for (const line of lines.slice(1, -2)) assert.ok(line.length <= 64 && line.length > 0, line);
  assert.equal(lines[1]?.length, 64);
});

Deno.test("decodePem() reads PEM written by openssl, with text around and CRLF line ends", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const text = await opensslOk(["x509", "-in", set.caCertFile, "-text"]);
  const der = await new Deno.Command("openssl", {
    args: ["x509", "-in", set.caCertFile, "-outform", "DER"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const blocks = decodePem(text.replaceAll("\n", "\r\n"));
  assert.equal(blocks.length, 1);
  assert.deepEqual(blocks[0]?.der, der.stdout);
});

Deno.test("decodePemCertificates() returns every certificate of a bundle in order, skipping keys", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const [ca, server, key] = await Promise.all([
    readText(set.caCertFile),
    readText(set.serverCertFile ?? ""),
    readText(set.serverKeyFile ?? ""),
  ]);
  const certs = decodePemCertificates(`${server}${key}# comment\n${ca}`);
  assert.equal(certs.length, 2);
  assert.deepEqual(certs[0], decodePem(server)[0]?.der);
  assert.deepEqual(certs[1], decodePem(ca)[0]?.der);
  assert.deepEqual(decodePemCertificates("no pem here"), []);
});

Deno.test("decodePem() throws SyntaxError for mismatched labels and bad base64", () => {
  assert.throws(
    () => decodePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n"),
    (error: unknown) =>
      error instanceof SyntaxError &&
      /ends with a different label: "PRIVATE KEY"/.test(error.message),
  );
  for (const body of ["A*AA", "AAA", "", "AA=A"]) {
    assert.throws(
      () => decodePem(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`),
      SyntaxError,
      body,
    );
  }
});
