/** Read and build X.509 certificate pieces with pkijs: names, extensions, times, serials. */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { formatAddress } from "../ip/address.ts";
import { toArrayBuffer } from "./_keys.ts";

export const OID = {
  commonName: "2.5.4.3",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  cRLNumber: "2.5.29.20",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  anyExtendedKeyUsage: "2.5.29.37.0",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** keyUsage bits (RFC 5280 4.2.1.3), numbered from the most significant bit of the first octet. */
export const KeyUsageBit = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

const NAME_LABELS: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "1.2.840.113549.1.9.1": "emailAddress",
};

/**
 * Parse one DER certificate.
 *
 * @throws {SyntaxError} When the bytes are not an X.509 certificate.
 */
export function parseCertificate(der: Uint8Array): pkijs.Certificate {
  try {
    return pkijs.Certificate.fromBER(toArrayBuffer(der));
  } catch {
    throw new SyntaxError("not a valid X.509 certificate");
  }
}

/** The DER encoding of a certificate. */
export function certificateDer(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.toSchema(true).toBER(false));
}

/** A Name holding one CommonName. */
export function commonNameOnly(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({
        type: OID.commonName,
        value: new asn1js.Utf8String({ value: commonName }),
      }),
    ],
  });
}

/** A Name as text, attributes in encoded order: `CN=SSSonector CA, O=Example`. */
export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues.map((attribute) => {
    const label = NAME_LABELS[attribute.type] ?? attribute.type;
    const value: unknown = attribute.value?.valueBlock?.value;
    return `${label}=${typeof value === "string" ? value : "?"}`;
  }).join(", ");
}

/** The first CommonName of a Name, if any. */
export function commonNameOf(name: pkijs.RelativeDistinguishedNames): string | undefined {
  const attribute = name.typesAndValues.find((a) => a.type === OID.commonName);
  const value: unknown = attribute?.value?.valueBlock?.value;
  return typeof value === "string" ? value : undefined;
}

/** A certificate validity Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280). */
export function validityTime(date: Date): pkijs.Time {
  const type = date.getUTCFullYear() < 2050
    ? pkijs.TimeType.UTCTime
    : pkijs.TimeType.GeneralizedTime;
  // X.509 times have whole seconds.
  return new pkijs.Time({ type, value: new Date(Math.floor(date.getTime() / 1000) * 1000) });
}

/** A random positive 128-bit serial number (the top bit set, so it always has 128 bits). */
export function randomSerial(): asn1js.Integer {
  const bytes = new Uint8Array(17);
  crypto.getRandomValues(bytes.subarray(1));
  bytes[0] = 0; // sign octet: keeps the INTEGER positive
  bytes[1] = (bytes[1] ?? 0) | 0x80;
  return new asn1js.Integer({ valueHex: toArrayBuffer(bytes) });
}

/** The serial number as upper-case hex without a sign octet, as `openssl x509 -serial` prints. */
export function serialHex(cert: pkijs.Certificate): string {
  let hex = cert.serialNumber.toBigInt().toString(16).toUpperCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return hex;
}

/** Upper-case hex octets joined by colons: `AB:CD:01`. */
export function colonHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/** The SHA-1 of the subjectPublicKey bits: the key identifier of RFC 5280 4.2.1.2 method (1). */
export async function keyIdentifier(spki: pkijs.PublicKeyInfo): Promise<Uint8Array> {
  const bits = spki.subjectPublicKey.valueBlock.valueHexView;
  return new Uint8Array(await crypto.subtle.digest("SHA-1", toArrayBuffer(bits)));
}

/** An extension whose value is the DER of `value`. */
export function extension(
  extnID: string,
  critical: boolean,
  value: { toBER(sizeOnly?: boolean): ArrayBuffer } | { toSchema(): asn1js.BaseBlock },
): pkijs.Extension {
  const block = "toSchema" in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: block.toBER(false) });
}

/** A keyUsage BIT STRING in DER form (trailing zero bits dropped) with the given bits set. */
export function keyUsageBits(bits: readonly number[]): asn1js.BitString {
  const highest = Math.max(...bits);
  const octets = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) {
    const index = Math.floor(bit / 8);
    octets[index] = (octets[index] ?? 0) | (0x80 >> (bit % 8));
  }
  return new asn1js.BitString({ valueHex: toArrayBuffer(octets), unusedBits: 7 - (highest % 8) });
}

/** The extension with `oid`, if the certificate has it. */
export function findExtension(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

/** True when basicConstraints says CA:TRUE. */
export function isCaCertificate(cert: pkijs.Certificate): boolean {
  const value: unknown = findExtension(cert, OID.basicConstraints)?.parsedValue;
  return value instanceof pkijs.BasicConstraints && value.cA;
}

/** The extendedKeyUsage purposes, or undefined when the certificate has no such extension. */
export function extendedKeyUsages(cert: pkijs.Certificate): readonly string[] | undefined {
  const ext = findExtension(cert, OID.extKeyUsage);
  if (ext === undefined) return undefined;
  const value: unknown = ext.parsedValue;
  return value instanceof pkijs.ExtKeyUsage ? value.keyPurposes : [];
}

/** Whether keyUsage has `bit` set; undefined when the certificate has no keyUsage extension. */
export function hasKeyUsage(cert: pkijs.Certificate, bit: number): boolean | undefined {
  const ext = findExtension(cert, OID.keyUsage);
  if (ext === undefined) return undefined;
  const value: unknown = ext.parsedValue;
  if (!(value instanceof asn1js.BitString)) return false;
  const octet = value.valueBlock.valueHexView[Math.floor(bit / 8)] ?? 0;
  return (octet & (0x80 >> (bit % 8))) !== 0;
}

/** subjectAltName entries as text: `IP:10.0.0.1`, `DNS:vpn.example.com`, `email:a@b`, `URI:...`. */
export function subjectAltNames(cert: pkijs.Certificate): string[] {
  const value: unknown = findExtension(cert, OID.subjectAltName)?.parsedValue;
  if (!(value instanceof pkijs.AltName)) return [];
  return value.altNames.map((name) => {
    switch (name.type) {
      case 1:
        return `email:${String(name.value)}`;
      case 2:
        return `DNS:${String(name.value)}`;
      case 6:
        return `URI:${String(name.value)}`;
      case 7: {
        const octets: unknown = name.value;
        return octets instanceof asn1js.OctetString
          ? `IP:${formatAddress(octets.valueBlock.valueHexView)}`
          : "IP:?";
      }
      default:
        return `othername:${name.type}`;
    }
  });
}

/** A date as `2025-01-31T12:00:00Z`. */
export function formatDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
