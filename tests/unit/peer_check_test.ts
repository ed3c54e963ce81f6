import assert from "node:assert/strict";
import { join } from "node:path";
import { generateCertificates } from "../../src/pki/generate.ts";
import { PeerCertificateCheck } from "../../src/pki/peer_check.ts";
import { decodePemCertificates } from "../../src/pki/pem.ts";

async function certDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sst-peer-check-" });
  await generateCertificates({
    certDir: dir,
    serverIp: "127.0.0.1",
    serverNames: [],
    clientName: "client",
    days: 1,
    keyType: "ecdsa-p256",
    force: false,
  });
  return dir;
}

const der = async (path: string) => decodePemCertificates(await Deno.readTextFile(path));

Deno.test("PeerCertificateCheck accepts our CA's client certificate and names what is wrong with others", async () => {
  const [a, b] = [await certDir(), await certDir()];
  try {
    const caPem = await Deno.readTextFile(join(a, "ca.crt"));
    const check = new PeerCertificateCheck(caPem);
    assert.equal(check.problem(await der(join(a, "client.crt"))), undefined);
    assert.equal(check.problem([]), "no client certificate");
    assert.equal(
      check.problem(await der(join(a, "server.crt"))),
      "the client certificate is not for client authentication",
    );
    assert.equal(
      check.problem(await der(join(b, "client.crt"))),
      "the client certificate is not signed by the CA in force",
    );
    const later = new PeerCertificateCheck(caPem, () => new Date(Date.now() + 3 * 86_400_000));
    assert.equal(
      later.problem(await der(join(a, "client.crt"))),
      "the client certificate has expired",
    );
    const earlier = new PeerCertificateCheck(caPem, () => new Date(Date.now() - 86_400_000));
    assert.equal(
      earlier.problem(await der(join(a, "client.crt"))),
      "the client certificate is not valid yet",
    );
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});
