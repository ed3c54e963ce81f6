import assert from "node:assert/strict";
import { join } from "node:path";
import { CertificateStore } from "../../src/pki/certificate_store.ts";
import { crlOlderThan } from "../../src/pki/crl.ts";
import { refreshRevocationList, revokeCertificate } from "../../src/pki/revoke.ts";
import { issueCaWithClients, serverTlsConfig } from "../lib/pki_fixtures.ts";

/** A server's folder with a CA, and the texts of its CRL number 2 (empty) and 3 (revoking b). */
async function serverWithTwoCrls() {
  const dir = await Deno.makeTempDir({ prefix: "sst-crl-rollback-" });
  await issueCaWithClients(dir, "127.0.0.1", ["a", "b"]);
  await refreshRevocationList({ certDir: dir });
  const first = await Deno.readTextFile(join(dir, "ca.crl"));
  const { serialHex } = await revokeCertificate({ certDir: dir, name: "b" });
  const second = await Deno.readTextFile(join(dir, "ca.crl"));
  const tls = serverTlsConfig(dir, { minVersion: "1.3", crlFile: join(dir, "in-force.crl") });
  return { dir, tls, first, second, revokedSerial: serialHex };
}

Deno.test("CertificateStore.reload() refuses a CRL older than the one in force, naming both numbers, and keeps the revocation", async () => {
  const { dir, tls, first, second, revokedSerial } = await serverWithTwoCrls();
  try {
    await Deno.writeTextFile(tls.crlFile!, second);
    const store = await CertificateStore.load(tls, "server");
    assert.equal(store.isRevoked(revokedSerial), true);
    await Deno.writeTextFile(tls.crlFile!, first);
    const result = await store.reload();
    assert.equal(result.status, "kept", result.message);
    assert.match(
      result.message,
      /in-force\.crl: the CRL is older than the one in force \(CRL number 2 against 3/,
    );
    assert.equal(store.isRevoked(revokedSerial), true, "b stays revoked");
    // The newer one again, and then a fresh one (number 4), are accepted.
    await Deno.writeTextFile(tls.crlFile!, second);
    assert.equal((await store.reload()).status, "unchanged");
    await refreshRevocationList({ certDir: dir });
    await Deno.copyFile(join(dir, "ca.crl"), tls.crlFile!);
    const fresh = await store.reload();
    assert.equal(fresh.status, "swapped", fresh.message);
    assert.match(fresh.message, /CRL number 3 -> 4/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("crlOlderThan() lets different CRL numbers decide, else the issue time", () => {
  const t = (ms: number) => new Date(ms);
  // A CA whose clock went back still issues a newer list: its number says so.
  assert.equal(
    crlOlderThan({ number: 4n, thisUpdate: t(1) }, { number: 3n, thisUpdate: t(9) }),
    undefined,
  );
  assert.equal(
    crlOlderThan({ number: 2n, thisUpdate: t(9) }, { number: 3n, thisUpdate: t(1) }),
    "lower-number",
  );
  // The same number issued twice, or lists without numbers: the later issue is the newer list.
  assert.equal(
    crlOlderThan({ number: 3n, thisUpdate: t(1) }, { number: 3n, thisUpdate: t(9) }),
    "issued-earlier",
  );
  assert.equal(
    crlOlderThan({ number: undefined, thisUpdate: t(1) }, { number: 3n, thisUpdate: t(9) }),
    "issued-earlier",
  );
  assert.equal(
    crlOlderThan({ number: undefined, thisUpdate: t(9) }, { number: undefined, thisUpdate: t(9) }),
    undefined,
  );
});
