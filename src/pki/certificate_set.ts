/** Loading and checking the certificate, key and CA files of one side of the tunnel. */

import type * as pkijs from "pkijs";
import { type CertificateRole, signerOf, usageProblems, validityProblem } from "./checks.ts";
import { importPkcs8, keyMatchesPublicKey } from "./_keys.ts";
import { labelsOf, type PemFile, PemFileError, readPemFile } from "./_pem_file.ts";
import { isCaCertificate, nameToString, parseCertificate } from "./x509.ts";
import { errorMessage } from "../base/error_message.ts";

export type { CertificateRole } from "./checks.ts";

/** The three files of one side of the tunnel, as in `security.tls` of the configuration. */
export interface CertificateSetFiles {
  /** This side's certificate (PEM). */
  readonly certFile: string;
  /** This side's PKCS#8 private key (PEM). */
  readonly keyFile: string;
  /** The CA certificate(s) that signed both sides' certificates (PEM). */
  readonly caFile: string;
}

/** A certificate set that passed every check: the texts as read, and what they hold. */
export interface LoadedCertificateSet {
  readonly files: CertificateSetFiles;
  /** The exact text of each file, as checked. */
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
  /** This side's certificate (the first in certFile). */
  readonly certificate: ParsedCertificate;
  /** Every certificate in caFile, in order. */
  readonly authorities: readonly ParsedCertificate[];
}

/** A certificate as parsed, with the DER bytes it was parsed from. */
export interface ParsedCertificate {
  readonly cert: pkijs.Certificate;
  readonly der: Uint8Array;
}

/** What {@linkcode loadCertificateSet} found: problems, or the set when there are none. */
export type CertificateSetResult =
  | { readonly problems: readonly []; readonly set: LoadedCertificateSet }
  | { readonly problems: readonly string[]; readonly set?: undefined };

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
  return [...(await loadCertificateSet(files, role, now)).problems];
}

/**
 * Read `files` once and run the checks of {@linkcode checkCertificateSet} on what was read, so
 * the texts handed to TLS are exactly the ones checked.
 */
export async function loadCertificateSet(
  files: CertificateSetFiles,
  role: CertificateRole,
  now: Date = new Date(),
): Promise<CertificateSetResult> {
  const problems: string[] = [];
  // One file after the other, so the problems come in the order of the files.
  const certText = await readNonEmpty(files.certFile, problems);
  const leaf = certText && leafCertificate(certText, problems);
  const cert = leaf?.cert;
  const keyText = await readNonEmpty(files.keyFile, problems);
  const key = keyText && (await privateKey(keyText, problems));
  const caText = await readNonEmpty(files.caFile, problems);
  const parsedCas = caText && caCertificates(caText, problems);
  const cas = parsedCas?.map((ca) => ca.cert);

  if (cert && key) {
    if (!(await keyMatchesPublicKey(key, cert.subjectPublicKeyInfo))) {
      problems.push(
        `${files.keyFile}: the private key does not match the certificate in ${files.certFile}`,
      );
    }
  }

  if (cert) {
    const validity = validityProblem(cert, now);
    if (validity !== undefined) problems.push(`${files.certFile}: certificate ${validity}`);
    problems.push(...usageProblems(cert, role).map((p) => `${files.certFile}: ${p}`));
  }

  if (cas) {
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
    if (cert && (await signerOf(cert, cas)) === undefined) {
      problems.push(`${files.certFile}: certificate is not signed by the CA in ${files.caFile}`);
    }
  }
  if (problems.length > 0 || !certText || !keyText || !caText || !leaf || !parsedCas) {
    return { problems };
  }
  return {
    problems: [],
    set: {
      files,
      certPem: certText.text,
      keyPem: keyText.text,
      caPem: caText.text,
      certificate: leaf,
      authorities: parsedCas,
    },
  };
}

/** Read a file's PEM blocks, adding a problem (and returning undefined) when that fails. */
async function readNonEmpty(path: string, problems: string[]): Promise<PemFile | undefined> {
  let file: PemFile;
  try {
    file = await readPemFile(path);
  } catch (error) {
    problems.push(
      error instanceof PemFileError ? error.message : `${path}: ${errorMessage(error)}`,
    );
    return undefined;
  }
  if (file.blocks.length === 0) {
    problems.push(`${path}: not a PEM file (no "-----BEGIN" line)`);
    return undefined;
  }
  return file;
}

function leafCertificate(file: PemFile, problems: string[]): ParsedCertificate | undefined {
  // The first certificate is the leaf; any after it are chain certificates.
  const block = file.blocks.find((b) => b.label === "CERTIFICATE");
  if (block === undefined) {
    problems.push(`${file.path}: not a certificate (found ${labelsOf(file.blocks)})`);
    return undefined;
  }
  try {
    return { cert: parseCertificate(block.der), der: block.der };
  } catch {
    problems.push(`${file.path}: not a valid X.509 certificate`);
    return undefined;
  }
}

async function privateKey(file: PemFile, problems: string[]): Promise<CryptoKey | undefined> {
  const { path, blocks } = file;
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
    problems.push(`${path}: not a usable PKCS#8 private key: ${errorMessage(error)}`);
    return undefined;
  }
}

function caCertificates(file: PemFile, problems: string[]): ParsedCertificate[] | undefined {
  const certBlocks = file.blocks.filter((b) => b.label === "CERTIFICATE");
  if (certBlocks.length === 0) {
    problems.push(`${file.path}: not a CA certificate (found ${labelsOf(file.blocks)})`);
    return undefined;
  }
  const certs: ParsedCertificate[] = [];
  for (const [i, block] of certBlocks.entries()) {
    try {
      certs.push({ cert: parseCertificate(block.der), der: block.der });
    } catch {
      problems.push(`${file.path}: certificate ${i + 1} is not a valid X.509 certificate`);
    }
  }
  return certs.length === 0 ? undefined : certs;
}
