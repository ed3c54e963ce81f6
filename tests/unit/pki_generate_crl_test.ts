import assert from "node:assert/strict";
import { join } from "node:path";
import { generateCertificates } from "../../src/pki/generate.ts";
import { loadRevocationList } from "../../src/pki/crl.ts";
import { parseCertificate } from "../../src/pki/x509.ts";
import { decodePemCertificates } from "../../src/pki/pem.ts";

const base = { serverNames: [], days: 30, keyType: "ecdsa-p256", force: false } as const;

async function crlOf(dir: string) {
  const caFile = join(dir, "ca.crt");
  const cas = decodePemCertificates(await Deno.readTextFile(caFile)).map(parseCertificate);
  return await loadRevocationList(join(dir, "ca.crl"), cas, caFile);
}

Deno.test("--generate-certs writes an empty signed ca.crl with a new CA, so revocation works from day one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sst-gen-crl-" });
  try {
    const files = await generateCertificates({
      ...base,
      certDir: dir,
      serverIp: "10.9.9.9",
      clientName: "client",
    });
    assert.ok(files.written.includes(join(dir, "ca.crl")), files.written.join(" "));
    const { problems, list } = await crlOf(dir);
    assert.deepEqual(problems, []);
    assert.equal(list?.number, 1n);
    assert.equal(list?.entries.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--generate-certs with a CA but no ca.crl adds one, and never touches an existing one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sst-gen-crl-" });
  try {
    await generateCertificates({ ...base, certDir: dir, serverIp: "10.9.9.9", clientName: "a" });
    await Deno.remove(join(dir, "ca.crl"));
    await generateCertificates({ ...base, certDir: dir, clientName: "b" });
    assert.equal((await crlOf(dir)).list?.number, 1n);
    const before = await Deno.readTextFile(join(dir, "ca.crl"));
    await generateCertificates({ ...base, certDir: dir, clientName: "c" });
    assert.equal(await Deno.readTextFile(join(dir, "ca.crl")), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
