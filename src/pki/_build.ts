/** Building and signing certificates: the CA's self-signed one and the leaves it issues. */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { generateKeyPair, signingHash, toArrayBuffer } from "./_keys.ts";
import {
  commonNameOnly,
  extension,
  keyIdentifier,
  KeyUsageBit,
  keyUsageBits,
  OID,
  randomSerial,
  validityTime,
} from "./x509.ts";
import type { KeyType } from "./types.ts";

/** A CA that can sign: its certificate, private key and key identifier. */
export interface Issuer {
  readonly cert: pkijs.Certificate;
  readonly privateKey: CryptoKey;
  readonly keyId: Uint8Array;
}

/** What a leaf certificate says besides its key, serial and issuer. */
export interface LeafProfile {
  readonly subject: pkijs.RelativeDistinguishedNames;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** extendedKeyUsage purposes, e.g. serverAuth. */
  readonly purposes: readonly string[];
  /** RSA keys also get keyEncipherment. */
  readonly rsa: boolean;
  readonly altNames: readonly pkijs.GeneralName[];
}

/** A new CA: its key pair and self-signed certificate (CN "SSSonector CA"). */
export async function createCa(
  keyType: KeyType,
  notBefore: Date,
  notAfter: Date,
): Promise<{ issuer: Issuer; keys: CryptoKeyPair }> {
  const keys = await generateKeyPair(keyType);
  const { cert, keyId } = await buildCaCertificate(keys, notBefore, notAfter);
  return { issuer: { cert, privateKey: keys.privateKey, keyId }, keys };
}

/** A leaf certificate for `publicKey`, signed by `issuer`, with a fresh serial. */
export async function buildLeafCertificate(
  issuer: Issuer,
  publicKey: CryptoKey,
  profile: LeafProfile,
): Promise<pkijs.Certificate> {
  const { cert, keyId } = await unsignedCertificate(
    // The issuer Name is copied as encoded, so chain building matches it byte for byte.
    issuer.cert.subject,
    profile.subject,
    profile.notBefore,
    profile.notAfter,
    publicKey,
  );
  const usage = profile.rsa
    ? [KeyUsageBit.digitalSignature, KeyUsageBit.keyEncipherment]
    : [KeyUsageBit.digitalSignature];
  cert.extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false })),
    extension(OID.keyUsage, true, keyUsageBits(usage)),
    extension(
      OID.extKeyUsage,
      false,
      new pkijs.ExtKeyUsage({ keyPurposes: [...profile.purposes] }),
    ),
    ...(profile.altNames.length === 0 ? [] : [
      extension(OID.subjectAltName, false, new pkijs.AltName({ altNames: [...profile.altNames] })),
    ]),
    subjectKeyIdentifier(keyId),
    authorityKeyIdentifier(issuer.keyId),
  ];
  await cert.sign(issuer.privateKey, signingHash(issuer.privateKey));
  return cert;
}

/** The authorityKeyIdentifier extension naming the key `keyId`. */
export function authorityKeyIdentifier(keyId: Uint8Array): pkijs.Extension {
  const value = new pkijs.AuthorityKeyIdentifier({
    keyIdentifier: new asn1js.OctetString({ valueHex: toArrayBuffer(keyId) }),
  });
  return extension(OID.authorityKeyIdentifier, false, value);
}

async function buildCaCertificate(
  keys: CryptoKeyPair,
  notBefore: Date,
  notAfter: Date,
): Promise<{ cert: pkijs.Certificate; keyId: Uint8Array }> {
  const { cert, keyId } = await unsignedCertificate(
    commonNameOnly("SSSonector CA"),
    commonNameOnly("SSSonector CA"),
    notBefore,
    notAfter,
    keys.publicKey,
  );
  cert.extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true })),
    extension(
      OID.keyUsage,
      true,
      keyUsageBits([KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]),
    ),
    subjectKeyIdentifier(keyId),
    authorityKeyIdentifier(keyId),
  ];
  await cert.sign(keys.privateKey, signingHash(keys.privateKey));
  return { cert, keyId };
}

/** An unsigned certificate for `publicKey` with a fresh serial, and its subject key identifier. */
async function unsignedCertificate(
  issuer: pkijs.RelativeDistinguishedNames,
  subject: pkijs.RelativeDistinguishedNames,
  notBefore: Date,
  notAfter: Date,
  publicKey: CryptoKey,
): Promise<{ cert: pkijs.Certificate; keyId: Uint8Array }> {
  const cert = new pkijs.Certificate({
    version: 2,
    serialNumber: randomSerial(),
    issuer,
    subject,
    notBefore: validityTime(notBefore),
    notAfter: validityTime(notAfter),
  });
  await cert.subjectPublicKeyInfo.importKey(publicKey);
  return { cert, keyId: await keyIdentifier(cert.subjectPublicKeyInfo) };
}

function subjectKeyIdentifier(keyId: Uint8Array): pkijs.Extension {
  return extension(
    OID.subjectKeyIdentifier,
    false,
    new asn1js.OctetString({ valueHex: toArrayBuffer(keyId) }),
  );
}
