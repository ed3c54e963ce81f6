/**
 * `--list-certs`: every certificate in a certificate folder with its role, name, serial, expiry
 * and whether the folder's CRL (`ca.crl`) revokes it.
 *
 * @module
 */

import type * as pkijs from "pkijs";
import { join, resolve } from "node:path";
import { signerOf } from "./checks.ts";
import { loadRevocationList, type RevocationList } from "./crl.ts";
import { PkiError } from "./errors.ts";
import { PemFileError, readPemFile } from "./_pem_file.ts";
import { exists } from "./_write.ts";
import {
  extendedKeyUsages,
  formatDate,
  isCaCertificate,
  nameToString,
  OID,
  parseCertificate,
  serialHex,
} from "./x509.ts";
import { errorMessage } from "../base/error_message.ts";

/**
 * What a certificate is for: the CA, a TLS server, a TLS client, both ends, any purpose (no
 * extendedKeyUsage), or other purposes only.
 */
export type ListedRole = "ca" | "server" | "client" | "server+client" | "any" | "other";

/** One row of the listing. */
export interface ListedCertificate {
  readonly file: string;
  /** The file name without `.crt`. */
  readonly name: string;
  readonly role: ListedRole;
  readonly subject: string;
  readonly serialHex: string;
  readonly notAfter: Date;
  readonly expired: boolean;
  /** False when the folder's CA did not sign it (e.g. left from a replaced CA). */
  readonly fromThisCa: boolean;
  /** When the CRL revoked it; undefined when it is not revoked (or there is no CRL). */
  readonly revokedAt?: Date;
}

/** What the listing knows about the folder's CRL. */
export interface ListedCrl {
  readonly file: string;
  /** Set when the CRL could be read and is signed by the folder's CA. */
  readonly list?: RevocationList;
  /** Why the CRL is unusable or out of date, one line. */
  readonly problem?: string;
}

export interface CertificateListing {
  readonly certDir: string;
  /** CA first, then the server(s), then clients, by name. */
  readonly certificates: readonly ListedCertificate[];
  /** Undefined when the folder has no ca.crl. */
  readonly crl?: ListedCrl;
  /** `.crt` files that could not be read as certificates, one line each. */
  readonly skipped: readonly string[];
}

/**
 * List the `.crt` files of `certDir`.
 *
 * @throws {PkiError} When the folder cannot be read.
 */
export async function listCertificates(
  certDir: string,
  now: Date = new Date(),
): Promise<CertificateListing> {
  const dir = resolve(certDir);
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".crt")) names.push(entry.name);
    }
  } catch (error) {
    throw new PkiError(`Cannot list the certificate folder ${dir}: ${errorMessage(error)}`, {
      path: dir,
    });
  }
  const skipped: string[] = [];
  const parsed: { file: string; name: string; cert: pkijs.Certificate }[] = [];
  for (const fileName of names) {
    const file = join(dir, fileName);
    const cert = await readFirstCertificate(file, skipped);
    if (cert !== undefined) parsed.push({ file, name: fileName.slice(0, -4), cert });
  }
  const ca = parsed.find((entry) => entry.name === "ca")?.cert;
  const crl = await readCrl(dir, ca, now);
  const certificates: ListedCertificate[] = [];
  for (const { file, name, cert } of parsed) {
    const serial = serialHex(cert);
    const revoked = crl?.list?.entries.find((entry) => entry.serialHex === serial);
    certificates.push({
      file,
      name,
      role: roleOf(cert),
      subject: nameToString(cert.subject),
      serialHex: serial,
      notAfter: cert.notAfter.value,
      expired: cert.notAfter.value.getTime() <= now.getTime(),
      fromThisCa: ca !== undefined && (await signerOf(cert, [ca])) !== undefined,
      ...(revoked === undefined ? {} : { revokedAt: revoked.revokedAt }),
    });
  }
  certificates.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return { certDir: dir, certificates, ...(crl === undefined ? {} : { crl }), skipped };
}

/**
 * The listing as text: a header line about the CRL, then one row per certificate, e.g.
 *
 * ```
 * ROLE    NAME    SERIAL    EXPIRES               REVOKED
 * client  web2    5A3F0C    2027-01-01T00:00:00Z  yes, 2026-12-01T10:00:00Z
 * ```
 */
export function formatCertificateListing(listing: CertificateListing): string {
  const { crl } = listing;
  const header = crl === undefined
    ? `Certificates in ${listing.certDir} (no ca.crl: nothing is revoked)`
    : crl.list === undefined
    ? `Certificates in ${listing.certDir} (revocation unknown: ${crl.problem})`
    : `Certificates in ${listing.certDir} (CRL ${crl.file} number ${crl.list.number ?? "-"}, ` +
      `current until ${formatDate(crl.list.nextUpdate)}${crl.problem ? ", out of date" : ""})`;
  const rows = listing.certificates.map((c) => [
    c.role,
    c.name,
    c.serialHex,
    `${formatDate(c.notAfter)}${c.expired ? " (expired)" : ""}`,
    revokedColumn(c, crl),
  ]);
  const table = [["ROLE", "NAME", "SERIAL", "EXPIRES", "REVOKED"], ...rows];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")
  );
  const problems = [
    ...(crl?.problem !== undefined && crl.list !== undefined ? [`warning: ${crl.problem}`] : []),
    ...listing.skipped.map((line) => `skipped ${line}`),
  ];
  return [header, ...lines, ...problems].join("\n");
}

function revokedColumn(c: ListedCertificate, crl: ListedCrl | undefined): string {
  if (c.role === "ca") return "-";
  if (!c.fromThisCa) return "n/a (not issued by ca.crt)";
  if (c.revokedAt !== undefined) return `yes, ${formatDate(c.revokedAt)}`;
  return crl !== undefined && crl.list === undefined ? "unknown" : "no";
}

async function readFirstCertificate(
  file: string,
  skipped: string[],
): Promise<pkijs.Certificate | undefined> {
  try {
    const block = (await readPemFile(file)).blocks.find((b) => b.label === "CERTIFICATE");
    if (block === undefined) {
      skipped.push(`${file}: holds no PEM certificate`);
      return undefined;
    }
    return parseCertificate(block.der);
  } catch (error) {
    skipped.push(
      error instanceof PemFileError ? error.message : `${file}: not a valid certificate`,
    );
    return undefined;
  }
}

async function readCrl(
  dir: string,
  ca: pkijs.Certificate | undefined,
  now: Date,
): Promise<ListedCrl | undefined> {
  const file = join(dir, "ca.crl");
  if (!(await exists(file))) return undefined;
  if (ca === undefined) return { file, problem: `${dir} has no readable ca.crt to check ca.crl` };
  const { problems, list } = await loadRevocationList(file, [ca], join(dir, "ca.crt"), now, {
    certDir: dir,
    acceptStale: true,
  });
  return {
    file,
    ...(list === undefined ? {} : { list }),
    ...(problems[0] === undefined ? {} : { problem: problems[0] }),
  };
}

function roleOf(cert: pkijs.Certificate): ListedRole {
  if (isCaCertificate(cert)) return "ca";
  const purposes = extendedKeyUsages(cert);
  if (purposes === undefined || purposes.includes(OID.anyExtendedKeyUsage)) return "any";
  const server = purposes.includes(OID.serverAuth);
  const client = purposes.includes(OID.clientAuth);
  return server && client ? "server+client" : server ? "server" : client ? "client" : "other";
}

function rank(c: ListedCertificate): number {
  return c.role === "ca" ? 0 : c.role === "server" ? 1 : 2;
}
