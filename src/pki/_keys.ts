/** Key pairs: generation per KeyType, PKCS#8 import, and "does this key belong to that cert". */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import type { KeyType } from "./types.ts";
import { errorMessage } from "../base/error_message.ts";

const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const CURVES: Readonly<Record<string, string>> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
};

/** Key types whose CryptoKeys sign with RSASSA-PKCS1-v1_5 (and may also encipher keys). */
export function isRsaKeyType(type: KeyType): boolean {
  return type !== "ecdsa-p256";
}

/** WebCrypto parameters to import a key of a kind we can sign and verify with. */
export type SigningKeyParams = EcKeyImportParams | RsaHashedImportParams;

/** Generate an extractable signing key pair of `type`. */
export async function generateKeyPair(type: KeyType): Promise<CryptoKeyPair> {
  const params: EcKeyGenParams | RsaHashedKeyGenParams = type === "ecdsa-p256"
    ? { name: "ECDSA", namedCurve: "P-256" }
    : {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: type === "rsa-2048" ? 2048 : 4096,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    };
  return await crypto.subtle.generateKey(params, true, ["sign", "verify"]);
}

/** The hash to sign with a key: SHA-384 for P-384 keys, SHA-256 otherwise. */
export function signingHash(key: CryptoKey): "SHA-256" | "SHA-384" {
  const algorithm = key.algorithm as Partial<EcKeyAlgorithm>;
  return algorithm.namedCurve === "P-384" ? "SHA-384" : "SHA-256";
}

/**
 * WebCrypto import parameters for an AlgorithmIdentifier of a SubjectPublicKeyInfo or a
 * PKCS#8 PrivateKeyInfo.
 *
 * @throws {TypeError} When the algorithm is neither RSA nor EC on P-256 or P-384.
 */
export function importParamsFor(algorithm: pkijs.AlgorithmIdentifier): SigningKeyParams {
  if (algorithm.algorithmId === OID_RSA_ENCRYPTION) {
    return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  }
  if (algorithm.algorithmId === OID_EC_PUBLIC_KEY) {
    const params: unknown = algorithm.algorithmParams;
    const curveOid = params instanceof asn1js.ObjectIdentifier ? params.getValue() : "";
    const curve = CURVES[curveOid];
    if (curve !== undefined) return { name: "ECDSA", namedCurve: curve };
    throw new TypeError(`unsupported elliptic curve: "${curveOid || "unknown"}"`);
  }
  throw new TypeError(`unsupported key algorithm: "${algorithm.algorithmId}"`);
}

/**
 * Import PKCS#8 DER as an extractable signing key.
 *
 * @throws {TypeError} When the bytes are not a PKCS#8 PrivateKeyInfo of a supported algorithm.
 */
export async function importPkcs8(der: Uint8Array): Promise<CryptoKey> {
  let info: pkijs.PrivateKeyInfo;
  try {
    info = pkijs.PrivateKeyInfo.fromBER(toArrayBuffer(der));
  } catch {
    throw new TypeError("not a PKCS#8 PrivateKeyInfo structure");
  }
  const params = importParamsFor(info.privateKeyAlgorithm);
  try {
    return await crypto.subtle.importKey("pkcs8", toArrayBuffer(der), params, true, ["sign"]);
  } catch (error) {
    const detail = errorMessage(error);
    throw new TypeError(`the ${params.name} key cannot be loaded: ${detail}`);
  }
}

/** Export a private key as PKCS#8 DER. */
export async function exportPkcs8(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
}

/**
 * True when `privateKey` (extractable) is the private half of the public key in `spki`.
 * Compares the public components (EC curve and point, RSA modulus and exponent).
 */
export async function keyMatchesPublicKey(
  privateKey: CryptoKey,
  spki: pkijs.PublicKeyInfo,
): Promise<boolean> {
  let publicParams: SigningKeyParams;
  try {
    publicParams = importParamsFor(spki.algorithm);
  } catch {
    return false;
  }
  if (publicParams.name !== privateKey.algorithm.name) return false;
  const spkiDer = spki.toSchema().toBER(false);
  const publicKey = await crypto.subtle.importKey("spki", spkiDer, publicParams, true, ["verify"]);
  const a = await crypto.subtle.exportKey("jwk", privateKey);
  const b = await crypto.subtle.exportKey("jwk", publicKey);
  return a.kty === "EC"
    ? a.crv === b.crv && a.x === b.x && a.y === b.y
    : a.kty === b.kty && a.n === b.n && a.e === b.e;
}

/** A fresh ArrayBuffer holding exactly the bytes of `bytes` (WebCrypto and asn1js want one). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/**
 * The {@linkcode KeyType} of the public key in `spki`, or a short description of the key when it
 * is of no type SSSonector generates (e.g. `EC P-384`, `RSA-3072`).
 */
export async function keyTypeOf(
  spki: pkijs.PublicKeyInfo,
): Promise<{ readonly type: KeyType } | { readonly unsupported: string }> {
  let params: SigningKeyParams;
  try {
    params = importParamsFor(spki.algorithm);
  } catch (error) {
    return { unsupported: errorMessage(error) };
  }
  if (params.name === "ECDSA") {
    const curve = (params as EcKeyImportParams).namedCurve;
    return curve === "P-256" ? { type: "ecdsa-p256" } : { unsupported: `EC ${curve}` };
  }
  const spkiDer = spki.toSchema().toBER(false);
  const key = await crypto.subtle.importKey("spki", spkiDer, params, true, ["verify"]);
  const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  if (bits === 2048) return { type: "rsa-2048" };
  if (bits === 4096) return { type: "rsa-4096" };
  return { unsupported: `RSA-${bits}` };
}
