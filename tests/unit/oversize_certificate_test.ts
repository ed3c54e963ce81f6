/**
 * A peer certificate larger than MAX_PEER_CERTIFICATE_BYTES is refused without being parsed: a
 * stranger's 35 KB certificate of 3000 names cost the server 22 ms of our own parsing per attempt
 * (4.8 ms for the whole attempt now; tests/e2e/costly_cert_test.ts measures it end to end).
 */
import assert from "node:assert/strict";
import { MAX_PEER_CERTIFICATE_BYTES } from "../../src/pki/limits.ts";
import { certificateIdentity, PeerCertificateCheck } from "../../src/pki/peer_check.ts";
import { classifyClientRefusal } from "../../src/server/client_refusal.ts";
import { loopbackCertificates } from "../../tools/lab/loopback_certificates.ts";

/** DER that would take long to parse: one SEQUENCE of many small INTEGERs, just over the bound. */
function bigDer(): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(MAX_PEER_CERTIFICATE_BYTES + 3);
  for (let i = 0; i + 3 <= body.length; i += 3) body.set([0x02, 0x01, i & 0x7f], i);
  const length = body.length;
  return new Uint8Array([0x30, 0x82, length >> 8, length & 0xff, ...body]);
}

Deno.test("an oversize client certificate is refused unparsed, with its size in the line", async () => {
  const der = bigDer();
  const refusal = classifyClientRefusal(der);
  assert.equal(refusal.kind, "oversize");
  assert.equal(
    refusal.message,
    `the client certificate is ${der.length} bytes; this server examines none over 16384 ` +
      `(its own are under 2 KB)`,
  );
  assert.equal(certificateIdentity(der), undefined);
  await using certs = await loopbackCertificates("sst-oversize-");
  const check = new PeerCertificateCheck(await certs.read("ca.crt"));
  assert.equal(check.problem([der]), refusal.message);
  // An oversize certificate in the chain the client sent, too.
  assert.match(check.problem([new Uint8Array(10), der]) ?? "", /bytes; this server examines/);
});
