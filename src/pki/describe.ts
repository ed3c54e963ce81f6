/** Summaries of certificates for log lines and listings. */

import type * as pkijs from "pkijs";
import { PkiError } from "./errors.ts";
import { toArrayBuffer } from "./_keys.ts";
import {
  certificateDer,
  colonHex,
  nameToString,
  parseCertificate,
  serialHex,
  subjectAltNames,
} from "./x509.ts";
import { decodePem, type PemBlock } from "./pem.ts";
import { errorMessage } from "../base/error_message.ts";

/** What a log line says about a certificate. */
export interface CertificateSummary {
  /** E.g. `CN=10.0.0.1`. */
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case hex, as `openssl x509 -serial` prints it. */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** subjectAltName entries, e.g. `IP:10.0.0.1`, `DNS:vpn.example.com`. */
  readonly sans: string[];
  /** SHA-256 of the DER certificate as colon-separated upper-case hex. */
  readonly fingerprintSha256: string;
}

/**
 * Summarise the first certificate of a PEM text for logs.
 *
 * @throws {PkiError} When the text holds no valid PEM certificate.
 */
export async function describeCertificate(pem: string): Promise<CertificateSummary> {
  let blocks: PemBlock[];
  try {
    blocks = decodePem(pem);
  } catch (error) {
    throw new PkiError(`Not a valid PEM text: ${errorMessage(error)}`);
  }
  const block = blocks.find((b) => b.label === "CERTIFICATE");
  if (block === undefined) throw new PkiError("The text holds no PEM certificate");
  let cert: pkijs.Certificate;
  try {
    cert = parseCertificate(block.der);
  } catch {
    throw new PkiError("The PEM certificate is not a valid X.509 certificate");
  }
  return await summarize(cert, block.der);
}

/** The summary of a parsed certificate; `der` is its encoding when already at hand. */
export async function summarize(
  cert: pkijs.Certificate,
  der: Uint8Array = certificateDer(cert),
): Promise<CertificateSummary> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", toArrayBuffer(der)));
  return {
    subject: nameToString(cert.subject),
    issuer: nameToString(cert.issuer),
    serialHex: serialHex(cert),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    sans: subjectAltNames(cert),
    fingerprintSha256: colonHex(digest),
  };
}
