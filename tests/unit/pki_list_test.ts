import assert from "node:assert/strict";
import { join } from "node:path";
import { PkiError } from "../../src/pki/errors.ts";
import { revokeCertificate } from "../../src/pki/revoke.ts";
import { formatCertificateListing, listCertificates } from "../../src/pki/list.ts";
import { issueCaWithClients, opensslOk, PkiFixtures } from "../lib/pki_fixtures.ts";

const fixtures = new PkiFixtures();
const DAY_MS = 24 * 60 * 60 * 1000;

async function serialOf(certFile: string): Promise<string> {
  const out = await opensslOk(["x509", "-in", certFile, "-noout", "-serial"]);
  return out.trim().replace(/^serial=/, "");
}

async function folder() {
  const dir = await fixtures.tempDir("list");
  await issueCaWithClients(dir, "192.0.2.1", ["client", "web2"]);
  return dir;
}

Deno.test("listCertificates() lists every certificate with role, name, serial, expiry and revocation", async () => {
  const dir = await folder();
  const revoked = await revokeCertificate({ certDir: dir, name: "web2" });
  // A certificate left from another CA, and a .crt that is not one.
  const other = await fixtures.generatedSet("ecdsa-p256", "other");
  await Deno.copyFile(other.clientCertFile, join(dir, "old.crt"));
  await Deno.writeTextFile(join(dir, "junk.crt"), "junk\n");

  const listing = await listCertificates(dir);
  assert.deepEqual(
    listing.certificates.map((c) => [c.role, c.name, c.fromThisCa, c.revokedAt !== undefined]),
    [
      ["ca", "ca", true, false],
      ["server", "server", true, false],
      ["client", "client", true, false],
      ["client", "old", false, false],
      ["client", "web2", true, true],
    ],
  );
  const web2 = listing.certificates.find((c) => c.name === "web2");
  assert.equal(web2?.serialHex, await serialOf(join(dir, "web2.crt")));
  assert.deepEqual(web2?.revokedAt, revoked.crl.entries[0]?.revokedAt);
  assert.deepEqual(
    listing.skipped,
    [`${join(dir, "junk.crt")}: holds no PEM certificate`],
  );

  const text = formatCertificateListing(listing);
  const lines = text.split("\n");
  assert.match(
    lines[0] ?? "",
    new RegExp(`^Certificates in ${dir} \\(CRL ${dir}/ca\\.crl number 2, current until \\S+Z\\)$`),
  );
  assert.match(lines[1] ?? "", /^ROLE {4}NAME {4}SERIAL {4,}EXPIRES {15}REVOKED$/);
  const row = (name: string) => lines.find((line) => line.split(/\s+/)[1] === name) ?? "";
  const when = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/.source;
  assert.match(row("ca"), new RegExp(`^ca {6}ca {6}[0-9A-F]+ +${when}  -$`));
  assert.match(row("server"), new RegExp(`^server  server  [0-9A-F]+ +${when}  no$`));
  assert.match(
    row("web2"),
    new RegExp(`^client  web2 {4}${revoked.serialHex} +${when}  yes, ${when}$`),
  );
  assert.match(row("old"), / {2}n\/a \(not issued by ca\.crt\)$/);
  assert.equal(lines.at(-1), `skipped ${join(dir, "junk.crt")}: holds no PEM certificate`);
  // Every row's serial starts under the SERIAL heading.
  const column = (lines[1] ?? "").indexOf("SERIAL");
  for (const line of lines.slice(2, 7)) assert.equal(line.search(/[0-9A-F]{16,}/), column, line);
});

Deno.test("listCertificates() without a CRL says nothing is revoked; with an expired one, says so and still shows it", async () => {
  const dir = await folder();
  // A folder from before --generate-certs wrote an empty ca.crl.
  await Deno.remove(join(dir, "ca.crl"));
  const plain = formatCertificateListing(await listCertificates(dir));
  assert.match(plain, /^Certificates in .* \(no ca\.crl: nothing is revoked\)\n/);
  assert.doesNotMatch(plain, /yes/);

  await revokeCertificate({ certDir: dir, name: "web2", crlDays: 1 });
  const later = new Date(Date.now() + 2 * DAY_MS);
  const stale = formatCertificateListing(await listCertificates(dir, later));
  assert.match(stale, /current until \S+Z, out of date\)\n/);
  assert.match(stale, /web2 .* yes, /);
  assert.match(stale, /\nwarning: .*ca\.crl: the CRL expired on .*--refresh-crl --cert-dir /);
  // Far later, the certificates themselves have expired.
  const muchLater = await listCertificates(dir, new Date(Date.now() + 40 * DAY_MS));
  assert.match(formatCertificateListing(muchLater), /server {2}server .*Z \(expired\) {2}no/);
});

Deno.test("listCertificates() names a folder it cannot read", async () => {
  const missing = join(await fixtures.freshPath("gone"), "certs");
  await assert.rejects(
    listCertificates(missing),
    (error: unknown) =>
      error instanceof PkiError &&
      /^Cannot list the certificate folder .*certs: /.test(error.message),
  );
});
