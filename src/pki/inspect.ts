/** Checks of a certificate, key and CA file set before they are used, and log summaries. */

import type * as pkijs from "pkijs";
import { PkiError } from "./errors.ts";
import { importPkcs8, keyMatchesPublicKey, toArrayBuffer } from "./_keys.ts";
import {
  colonHex,
  extendedKeyUsages,
  formatDate,
  hasKeyUsage,
  isCaCertificate,
  KeyUsageBit,
  nameToString,
  OID,
  parseCertificate,
  serialHex,
  subjectAltNames,
} from "./_x509.ts";
import { decodePem, type PemBlock } from "./pem.ts";
import { errorMessage } from "../runtime/error_message.ts";

/** The three files of one side of the tunnel, as in `security.tls` of the configuration. */
export interface CertificateSetFiles {
  /** This side's certificate (PEM). */
  readonly certFile: string;
  /** This side's PKCS#8 private key (PEM). */
  readonly keyFile: string;
  /** The CA certificate(s) that signed both sides' certificates (PEM). */
  readonly caFile: string;
}

/** Which end of the TLS connection the certificate is for. */
export type CertificateRole = "server" | "client";

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
 * Check that `files` make a usable certificate set for `role` at time `now`. Returns one line per
 * problem, each naming the file it is about; an empty list means the set is fine.
 *
 * Checked: each file is readable PEM of the right kind (certificate, unencrypted PKCS#8 key, CA
 * certificate); the key belongs to the certificate; the certificate and CA are within their
 * validity; a CA in caFile signed the certificate; the CA file holds a CA (CA:TRUE); the
 * certificate may be used for `role` (extendedKeyUsage serverAuth or clientAuth, keyUsage
 * digitalSignature when keyUsage is present).
 */
export async function checkCertificateSet(
  files: CertificateSetFiles,
  role: CertificateRole,
  now: Date = new Date(),
): Promise<string[]> {
  const problems: string[] = [];
  const cert = await loadLeafCertificate(files.certFile, problems);
  const key = await loadPrivateKey(files.keyFile, problems);
  const cas = await loadCaCertificates(files.caFile, problems);

  if (cert !== undefined && key !== undefined) {
    if (!(await keyMatchesPublicKey(key, cert.subjectPublicKeyInfo))) {
      problems.push(
        `${files.keyFile}: the private key does not match the certificate in ${files.certFile}`,
      );
    }
  }

  if (cert !== undefined) {
    const validity = validityProblem(cert, now);
    if (validity !== undefined) problems.push(`${files.certFile}: certificate ${validity}`);
    problems.push(...usageProblems(cert, role).map((p) => `${files.certFile}: ${p}`));
  }

  if (cas !== undefined) {
    const authorities = cas.filter(isCaCertificate);
    if (authorities.length === 0) {
      problems.push(
        `${files.caFile}: not a CA certificate (basicConstraints CA:TRUE is missing)`,
      );
    }
    for (const ca of authorities) {
      const validity = validityProblem(ca, now);
      if (validity !== undefined) {
        problems.push(`${files.caFile}: CA certificate "${nameToString(ca.subject)}" ${validity}`);
      }
    }
    if (cert !== undefined && !(await signedByAny(cert, cas))) {
      problems.push(`${files.certFile}: certificate is not signed by the CA in ${files.caFile}`);
    }
  }
  return problems;
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
    throw new PkiError(`Not a valid PEM text: ${(error as Error).message}`);
  }
  const block = blocks.find((b) => b.label === "CERTIFICATE");
  if (block === undefined) throw new PkiError("The text holds no PEM certificate");
  let cert: pkijs.Certificate;
  try {
    cert = parseCertificate(block.der);
  } catch {
    throw new PkiError("The PEM certificate is not a valid X.509 certificate");
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", toArrayBuffer(block.der)));
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

function validityProblem(cert: pkijs.Certificate, now: Date): string | undefined {
  const notBefore = cert.notBefore.value;
  const notAfter = cert.notAfter.value;
  if (now.getTime() < notBefore.getTime()) {
    return `is not yet valid: valid from ${formatDate(notBefore)} (now ${formatDate(now)})`;
  }
  if (now.getTime() > notAfter.getTime()) {
    return `expired on ${formatDate(notAfter)} (now ${formatDate(now)})`;
  }
  return undefined;
}

function usageProblems(cert: pkijs.Certificate, role: CertificateRole): string[] {
  const problems: string[] = [];
  const wanted = role === "server" ? OID.serverAuth : OID.clientAuth;
  const purposes = extendedKeyUsages(cert);
  // No extendedKeyUsage extension means any purpose (RFC 5280 4.2.1.12).
  if (
    purposes !== undefined && !purposes.includes(wanted) &&
    !purposes.includes(OID.anyExtendedKeyUsage)
  ) {
    const name = role === "server" ? "serverAuth" : "clientAuth";
    problems.push(
      `certificate cannot be used as a TLS ${role}: its extendedKeyUsage lacks ${name}`,
    );
  }
  if (hasKeyUsage(cert, KeyUsageBit.digitalSignature) === false) {
    problems.push("certificate cannot sign TLS handshakes: its keyUsage lacks digitalSignature");
  }
  if (isCaCertificate(cert)) {
    problems.push("certificate is a CA certificate, not a server or client certificate");
  }
  return problems;
}

async function signedByAny(cert: pkijs.Certificate, cas: pkijs.Certificate[]): Promise<boolean> {
  for (const ca of cas) {
    try {
      if (await cert.verify(ca)) return true;
    } catch {
      // A key the engine cannot use, or a mangled signature: not this CA.
    }
  }
  return false;
}

/** Read a file's PEM blocks, adding a problem (and returning undefined) when that fails. */
async function readPemFile(path: string, problems: string[]): Promise<PemBlock[] | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    problems.push(`${path}: cannot read the file: ${readErrorDetail(error)}`);
    return undefined;
  }
  let blocks: PemBlock[];
  try {
    blocks = decodePem(text);
  } catch (error) {
    problems.push(`${path}: not a valid PEM file: ${(error as Error).message}`);
    return undefined;
  }
  if (blocks.length === 0) {
    problems.push(`${path}: not a PEM file (no "-----BEGIN" line)`);
    return undefined;
  }
  return blocks;
}

async function loadLeafCertificate(
  path: string,
  problems: string[],
): Promise<pkijs.Certificate | undefined> {
  const blocks = await readPemFile(path, problems);
  if (blocks === undefined) return undefined;
  // The first certificate is the leaf; any after it are chain certificates.
  const block = blocks.find((b) => b.label === "CERTIFICATE");
  if (block === undefined) {
    problems.push(`${path}: not a certificate (found ${labelsOf(blocks)})`);
    return undefined;
  }
  try {
    return parseCertificate(block.der);
  } catch {
    problems.push(`${path}: not a valid X.509 certificate`);
    return undefined;
  }
}

async function loadPrivateKey(path: string, problems: string[]): Promise<CryptoKey | undefined> {
  const blocks = await readPemFile(path, problems);
  if (blocks === undefined) return undefined;
  const block = blocks.find((b) => b.label.endsWith("PRIVATE KEY"));
  if (block === undefined) {
    problems.push(`${path}: not a PKCS#8 private key (found ${labelsOf(blocks)})`);
    return undefined;
  }
  if (block.label === "ENCRYPTED PRIVATE KEY") {
    problems.push(`${path}: the private key is encrypted; an unencrypted PKCS#8 key is needed`);
    return undefined;
  }
  if (block.label !== "PRIVATE KEY") {
    problems.push(
      `${path}: not a PKCS#8 private key (found ${block.label}); convert it with ` +
        `"openssl pkcs8 -topk8 -nocrypt -in ${path}"`,
    );
    return undefined;
  }
  try {
    return await importPkcs8(block.der);
  } catch (error) {
    problems.push(`${path}: not a usable PKCS#8 private key: ${(error as Error).message}`);
    return undefined;
  }
}

async function loadCaCertificates(
  path: string,
  problems: string[],
): Promise<pkijs.Certificate[] | undefined> {
  const blocks = await readPemFile(path, problems);
  if (blocks === undefined) return undefined;
  const certBlocks = blocks.filter((b) => b.label === "CERTIFICATE");
  if (certBlocks.length === 0) {
    problems.push(`${path}: not a CA certificate (found ${labelsOf(blocks)})`);
    return undefined;
  }
  const certs: pkijs.Certificate[] = [];
  for (const [i, block] of certBlocks.entries()) {
    try {
      certs.push(parseCertificate(block.der));
    } catch {
      problems.push(`${path}: certificate ${i + 1} is not a valid X.509 certificate`);
    }
  }
  return certs.length === 0 ? undefined : certs;
}

function labelsOf(blocks: readonly PemBlock[]): string {
  return [...new Set(blocks.map((b) => b.label))].join(", ");
}

function readErrorDetail(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "it is a folder";
  return errorMessage(error);
}
