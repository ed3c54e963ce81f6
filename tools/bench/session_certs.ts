/**
 * Client certificates by the thousand for `bench --sessions`: one CA-signed certificate per
 * session name (the server holds one session per name, so every session needs its own), all for
 * one shared ECDSA P-256 key. Sharing the key is what makes 10,000 certificates take seconds
 * instead of minutes; the server never compares keys between certificates, only the chain, the
 * validity, the purpose and the name. Made with pkijs in-process (openssl would be a process per
 * certificate).
 *
 * @module
 */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { decodePem, encodePem } from "../../src/pki/pem.ts";
import {
  certificateDer,
  commonNameOnly,
  extension,
  keyIdentifier,
  KeyUsageBit,
  keyUsageBits,
  OID,
  parseCertificate,
  randomSerial,
  validityTime,
} from "../../src/pki/x509.ts";

/** What every session of a load shares, and each one's own certificate. */
export interface SessionCertificates {
  /** The shared private key, PKCS#8 PEM. */
  readonly keyPem: string;
  /** One certificate (PEM) per name, in the order of the names. */
  readonly certPems: readonly string[];
}

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;

function bytes(view: Uint8Array): ArrayBuffer {
  return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer;
}

/** The first PEM block of `label` in `text`, as DER. */
function pemBlock(text: string, label: string): Uint8Array {
  const block = decodePem(text).find((found) => found.label === label);
  if (!block) throw new SyntaxError(`No "${label}" PEM block found`);
  return block.der;
}

/**
 * Issues a certificate for each of `names` (CN = the name, clientAuth, valid from an hour ago for
 * `days`) from the CA in `caCertPem`/`caKeyPem` (an ECDSA P-256 CA with a PKCS#8 key, as
 * `--generate-certs --key-type ecdsa-p256` makes).
 */
export async function issueSessionCertificates(
  names: readonly string[],
  ca: { readonly certPem: string; readonly keyPem: string },
  days = 2,
): Promise<SessionCertificates> {
  const caCert = parseCertificate(pemBlock(ca.certPem, "CERTIFICATE"));
  const caKey = await crypto.subtle.importKey(
    "pkcs8",
    bytes(pemBlock(ca.keyPem, "PRIVATE KEY")),
    EC,
    false,
    ["sign"],
  );
  const caKeyId = await keyIdentifier(caCert.subjectPublicKeyInfo);
  const pair = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
  const keyPem = encodePem(
    "PRIVATE KEY",
    new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
  );
  const spki = new pkijs.PublicKeyInfo();
  await spki.importKey(pair.publicKey);
  const keyId = await keyIdentifier(spki);
  const notBefore = new Date(Date.now() - 3600_000);
  const notAfter = new Date(Date.now() + days * 86400_000);
  // The same for every certificate: built once.
  const extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false })),
    extension(OID.keyUsage, true, keyUsageBits([KeyUsageBit.digitalSignature])),
    extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.clientAuth] })),
    extension(
      OID.subjectKeyIdentifier,
      false,
      new asn1js.OctetString({ valueHex: bytes(keyId) }),
    ),
    extension(
      OID.authorityKeyIdentifier,
      false,
      new pkijs.AuthorityKeyIdentifier({
        keyIdentifier: new asn1js.OctetString({ valueHex: bytes(caKeyId) }),
      }),
    ),
  ];
  const certPems: string[] = [];
  for (const name of names) {
    const cert = new pkijs.Certificate({
      version: 2,
      serialNumber: randomSerial(),
      issuer: caCert.subject,
      subject: commonNameOnly(name),
      notBefore: validityTime(notBefore),
      notAfter: validityTime(notAfter),
      subjectPublicKeyInfo: spki,
      extensions,
    });
    await cert.sign(caKey, "SHA-256");
    certPems.push(encodePem("CERTIFICATE", certificateDer(cert)));
  }
  return { keyPem, certPems };
}
