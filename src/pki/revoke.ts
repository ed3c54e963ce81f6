/**
 * `--revoke-cert` and `--refresh-crl`: write or update the CA's revocation list `ca.crl` in a
 * certificate folder. The CRL is X.509 v2, signed by ca.key, with a cRLNumber one above the
 * previous CRL's and an authorityKeyIdentifier; earlier entries are kept. It is current for
 * `crlDays` (default 30): before its nextUpdate passes, refresh it.
 *
 * @module
 */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { join, resolve } from "node:path";
import { authorityKeyIdentifier, type Issuer } from "./_build.ts";
import { loadIssuer } from "./_ca.ts";
import { signerOf } from "./checks.ts";
import {
  CRL_PEM_LABEL,
  crlNumber,
  crlSigner,
  integerHex,
  normalizeSerial,
  parseCrlFile,
  type RevokedEntry,
} from "./crl.ts";
import { PkiError } from "./errors.ts";
import { signingHash } from "./_keys.ts";
import { CLOCK_SKEW_MS, DAY_MS, DEFAULT_CRL_DAYS, MAX_CRL_DAYS } from "./limits.ts";
import { readPemFile } from "./_pem_file.ts";
import { encodePem } from "./pem.ts";
import { exists, moveInto, writeTemporary } from "./_write.ts";
import {
  extension,
  formatDate,
  nameToString,
  OID,
  parseCertificate,
  serialHex,
  validityTime,
} from "./x509.ts";

const CRL_MODE = 0o644;
const CERT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface CrlOptions {
  /** The folder holding ca.crt and ca.key; the CRL is written to its ca.crl. */
  readonly certDir: string;
  /** Days until the CRL's nextUpdate. @default 30 */
  readonly crlDays?: number;
}

export interface RevokeOptions extends CrlOptions {
  /** Revoke `<certDir>/<name>.crt`. Exactly one of name and serial is given. */
  readonly name?: string;
  /** Revoke this serial number (hex; colons allowed), e.g. of a certificate already replaced. */
  readonly serial?: string;
}

/** A CRL that was written. */
export interface CrlWritten {
  readonly crlFile: string;
  readonly number: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Every revoked certificate the CRL lists, oldest first. */
  readonly entries: readonly RevokedEntry[];
}

/** What {@linkcode revokeCertificate} did. */
export interface RevokeResult {
  readonly serialHex: string;
  /** The revoked certificate's subject, when it was read from its file. */
  readonly subject?: string;
  /** Set when the serial was already on the list: then nothing was written. */
  readonly alreadyRevokedAt?: Date;
  /** The CRL as it now is. */
  readonly crl: CrlWritten;
}

/**
 * Add a certificate to `<certDir>/ca.crl` (created when missing), keeping earlier entries.
 *
 * @throws {PkiError} On a bad option, an unusable CA, a certificate our CA did not issue, or an
 * existing ca.crl that our CA did not sign.
 */
export async function revokeCertificate(
  options: RevokeOptions,
  now: Date = new Date(),
): Promise<RevokeResult> {
  const dir = resolve(options.certDir);
  const days = crlDays(options.crlDays);
  const issuer = await loadCa(dir, now);
  const { serialHex: serial, subject } = await target(dir, options, issuer);
  if (serial === serialHex(issuer.cert)) {
    throw new PkiError(
      `Serial ${serial} is the CA certificate's own: a CA cannot revoke itself; ` +
        "to retire it, make a new one with --generate-certs --new-ca",
    );
  }
  const previous = await readExistingCrl(dir, issuer);
  const entries = [...(previous?.revokedCertificates ?? [])];
  const listed = entries.find((entry) => integerHex(entry.userCertificate) === serial);
  const found = subject === undefined ? {} : { subject };
  if (listed !== undefined && previous !== undefined) {
    return {
      serialHex: serial,
      ...found,
      alreadyRevokedAt: listed.revocationDate.value,
      crl: describe(join(dir, "ca.crl"), previous),
    };
  }
  entries.push(
    new pkijs.RevokedCertificate({
      userCertificate: asn1js.Integer.fromBigInt(BigInt(`0x${serial}`)),
      revocationDate: validityTime(now),
    }),
  );
  const crl = await writeCrl(dir, issuer, entries, nextNumber(previous), now, days);
  return { serialHex: serial, ...found, crl };
}

/**
 * Re-sign `<certDir>/ca.crl` with a new thisUpdate and nextUpdate and the same entries, or
 * create an empty one when there is none.
 *
 * @throws {PkiError} As {@linkcode revokeCertificate}.
 */
export async function refreshRevocationList(
  options: CrlOptions,
  now: Date = new Date(),
): Promise<CrlWritten> {
  const dir = resolve(options.certDir);
  const days = crlDays(options.crlDays);
  const issuer = await loadCa(dir, now);
  const previous = await readExistingCrl(dir, issuer);
  const entries = [...(previous?.revokedCertificates ?? [])];
  return await writeCrl(dir, issuer, entries, nextNumber(previous), now, days);
}

/**
 * An empty CRL of `issuer` in `<dir>/ca.crl`, replacing whatever is there: for a new CA whose
 * predecessor had a CRL.
 */
export async function writeEmptyCrl(dir: string, issuer: Issuer, now: Date): Promise<CrlWritten> {
  return await writeCrl(dir, issuer, [], 1n, now, DEFAULT_CRL_DAYS);
}

function crlDays(days: number | undefined): number {
  const value = days ?? DEFAULT_CRL_DAYS;
  if (!Number.isInteger(value) || value < 1 || value > MAX_CRL_DAYS) {
    throw new PkiError(
      `CRL validity days must be a whole number from 1 to ${MAX_CRL_DAYS}: got "${value}"`,
    );
  }
  return value;
}

function loadCa(dir: string, now: Date): Promise<Issuer> {
  return loadIssuer(
    join(dir, "ca.crt"),
    join(dir, "ca.key"),
    now,
    `the CRL must be signed by the CA that issued the certificates (ca.crt and ca.key in ${dir})`,
  );
}

/** The serial to revoke, from the options: a certificate file of our CA, or a hex serial. */
async function target(
  dir: string,
  options: RevokeOptions,
  issuer: Issuer,
): Promise<{ serialHex: string; subject?: string }> {
  if ((options.name === undefined) === (options.serial === undefined)) {
    throw new PkiError("Name the certificate to revoke, or give its serial: one of the two");
  }
  if (options.serial !== undefined) {
    const serial = normalizeSerial(options.serial);
    if (serial === undefined || /^0*$/.test(serial)) {
      throw new PkiError(
        `Serial "${options.serial}" is not a certificate serial number: expected hex digits, ` +
          "e.g. 5A3F0C or 5a:3f:0c, as --list-certs prints them",
      );
    }
    return { serialHex: serial };
  }
  const name = options.name ?? "";
  if (!CERT_NAME.test(name) || name === "ca") {
    throw new PkiError(
      `"${name}" does not name a server or client certificate in ${dir}: ` +
        "give the file name without .crt, e.g. server or web2",
    );
  }
  const path = join(dir, `${name}.crt`);
  const block = (await readPemFile(path)).blocks.find((b) => b.label === "CERTIFICATE");
  if (block === undefined) {
    throw new PkiError(`${path} holds no PEM certificate`, { path });
  }
  let cert: pkijs.Certificate;
  try {
    cert = parseCertificate(block.der);
  } catch {
    throw new PkiError(`${path} is not a valid X.509 certificate`, { path });
  }
  if ((await signerOf(cert, [issuer.cert])) === undefined) {
    throw new PkiError(
      `${path} was not issued by the CA in ${join(dir, "ca.crt")}: only that CA's ` +
        "certificates go on its CRL",
      { path },
    );
  }
  return { serialHex: serialHex(cert), subject: nameToString(cert.subject) };
}

/** The CRL already in `dir`, checked to be signed by `issuer`; undefined when there is none. */
async function readExistingCrl(
  dir: string,
  issuer: Issuer,
): Promise<pkijs.CertificateRevocationList | undefined> {
  const path = join(dir, "ca.crl");
  if (!(await exists(path))) return undefined;
  const crl = parseCrlFile(await readPemFile(path));
  if (typeof crl === "string") {
    throw new PkiError(`${crl}: move it away to start a new CRL`, { path });
  }
  if ((await crlSigner(crl, [issuer.cert])) === undefined) {
    throw new PkiError(
      `${path} is not signed by the CA in ${join(dir, "ca.crt")}: move it away to start a new CRL`,
      { path },
    );
  }
  return crl;
}

function nextNumber(previous: pkijs.CertificateRevocationList | undefined): bigint {
  return previous === undefined ? 1n : (crlNumber(previous) ?? 0n) + 1n;
}

async function writeCrl(
  dir: string,
  issuer: Issuer,
  entries: pkijs.RevokedCertificate[],
  number: bigint,
  now: Date,
  days: number,
): Promise<CrlWritten> {
  const crl = new pkijs.CertificateRevocationList({
    version: 1, // v2: the version that may carry extensions
    issuer: issuer.cert.subject,
    // A peer whose clock is a little behind must not see a CRL from the future.
    thisUpdate: validityTime(new Date(now.getTime() - CLOCK_SKEW_MS)),
    nextUpdate: validityTime(new Date(now.getTime() + days * DAY_MS)),
    // RFC 5280: with no revoked certificates the list is absent, not empty.
    ...(entries.length === 0 ? {} : { revokedCertificates: entries }),
    crlExtensions: new pkijs.Extensions({
      extensions: [
        authorityKeyIdentifier(issuer.keyId),
        extension(OID.cRLNumber, false, asn1js.Integer.fromBigInt(number)),
      ],
    }),
  });
  await crl.sign(issuer.privateKey, signingHash(issuer.privateKey));
  const path = join(dir, "ca.crl");
  const der = new Uint8Array(crl.toSchema(true).toBER(false));
  const temporary = await writeTemporary({
    path,
    mode: CRL_MODE,
    data: encodePem(CRL_PEM_LABEL, der),
  });
  await moveInto(temporary, path);
  return describe(path, crl);
}

function describe(path: string, crl: pkijs.CertificateRevocationList): CrlWritten {
  return {
    crlFile: path,
    number: crlNumber(crl) ?? 0n,
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value ?? crl.thisUpdate.value,
    entries: (crl.revokedCertificates ?? []).map((entry) => ({
      serialHex: integerHex(entry.userCertificate),
      revokedAt: entry.revocationDate.value,
    })),
  };
}

/** `ca.crl number 3, 2 revoked, current until 2026-12-25T10:00:00Z` */
export function describeCrl(crl: CrlWritten): string {
  return `${crl.crlFile} number ${crl.number}, ${crl.entries.length} revoked, current until ${
    formatDate(crl.nextUpdate)
  }`;
}
