import assert from "node:assert/strict";
import { PeerCertificateCheck } from "../../src/pki/peer_check.ts";
import { decodePemCertificates } from "../../src/pki/pem.ts";
import { loopbackCertificates } from "../../tools/lab/loopback_certificates.ts";

const der = async (path: string) => decodePemCertificates(await Deno.readTextFile(path));

Deno.test("PeerCertificateCheck accepts our CA's client certificate and names what is wrong with others", async () => {
  await using a = await loopbackCertificates("sst-peer-check-");
  await using b = await loopbackCertificates("sst-peer-check-");
  const caPem = await a.read("ca.crt");
  const check = new PeerCertificateCheck(caPem);
  assert.equal(check.problem(await der(a.path("client.crt"))), undefined);
  assert.equal(check.problem([]), "no client certificate");
  assert.equal(
    check.problem(await der(a.path("server.crt"))),
    "the client certificate is not for client authentication",
  );
  assert.equal(
    check.problem(await der(b.path("client.crt"))),
    "the client certificate is not signed by the CA in force",
  );
  const later = new PeerCertificateCheck(caPem, () => new Date(Date.now() + 3 * 86_400_000));
  assert.equal(
    later.problem(await der(a.path("client.crt"))),
    "the client certificate has expired",
  );
  const earlier = new PeerCertificateCheck(caPem, () => new Date(Date.now() - 86_400_000));
  assert.equal(
    earlier.problem(await der(a.path("client.crt"))),
    "the client certificate is not valid yet",
  );
});
