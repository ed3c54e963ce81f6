/**
 * Certificate revocation lists (RFC 5280 section 5): reading a PEM CRL, checking it against our
 * CA (signature, issuer, freshness) and answering whether a serial number is revoked. Deno's
 * node:tls parses its `crl` option but never applies it, so revocation is checked here.
 *
 * @module
 */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { toArrayBuffer } from "./_keys.ts";
import { labelsOf, type PemFile, PemFileError, readPemFile } from "./_pem_file.ts";
import { formatDate, nameToString, OID } from "./x509.ts";
import { errorMessage } from "../base/error_message.ts";

/** The PEM label of a CRL. */
export const CRL_PEM_LABEL = "X509 CRL";

/** One revoked certificate. */
export interface RevokedEntry {
  /** Upper-case hex without a sign octet, as `openssl x509 -serial` prints it. */
  readonly serialHex: string;
  readonly revokedAt: Date;
}

/** A CRL that passed every check: signed by our CA, its issuer, not expired. */
export interface RevocationList {
  readonly path: string;
  /** The file's text as checked. */
  readonly pem: string;
  /** The cRLNumber extension; undefined for a CRL without one. */
  readonly number: bigint | undefined;
  /** E.g. `CN=SSSonector CA`. */
  readonly issuer: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: readonly RevokedEntry[];
  /** True when the certificate with serial `serialHex` (any case, colons allowed) is listed. */
  isRevoked(serialHex: string): boolean;
}

/**
 * The serial number in `text` as upper-case hex without leading zero octets, or undefined when
 * it is not hex. Accepts `0x`, colons and either case: `0a:1b`, `0x0A1B`, `A1B`.
 */
export function normalizeSerial(text: string): string | undefined {
  const compact = text.trim().replace(/^0x/i, "").replaceAll(":", "");
  if (!/^[0-9A-Fa-f]+$/.test(compact) || compact.length > 80) return undefined;
  let hex = BigInt(`0x${compact}`).toString(16).toUpperCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return hex;
}

/** The hex of an INTEGER the way {@linkcode normalizeSerial} writes it. */
export function integerHex(value: asn1js.Integer): string {
  let hex = value.toBigInt().toString(16).toUpperCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return hex;
}

/** The cRLNumber extension of `crl`, if it has one. */
export function crlNumber(crl: pkijs.CertificateRevocationList): bigint | undefined {
  const ext = crl.crlExtensions?.extensions.find((e) => e.extnID === OID.cRLNumber);
  const value: unknown = ext?.parsedValue;
  return value instanceof asn1js.Integer ? value.toBigInt() : undefined;
}

export interface RevocationListOptions {
  /** Where the CA's key lives, for the command in the freshness message. @default "DIR" */
  readonly certDir?: string;
  /**
   * Also return the list when its only problem is its time (expired, or not yet valid): for
   * listings, which show what an old CRL says. @default false
   */
  readonly acceptStale?: boolean;
}

/**
 * Parse the first CRL of a PEM file.
 *
 * @returns The CRL, or a problem line naming the file.
 */
export function parseCrlFile(file: PemFile): pkijs.CertificateRevocationList | string {
  const block = file.blocks.find((b) => b.label === CRL_PEM_LABEL);
  if (block === undefined) {
    return file.blocks.length === 0
      ? `${file.path}: not a PEM file (no "-----BEGIN" line)`
      : `${file.path}: not a CRL (found ${labelsOf(file.blocks)})`;
  }
  try {
    return pkijs.CertificateRevocationList.fromBER(toArrayBuffer(block.der));
  } catch {
    return `${file.path}: not a valid X.509 CRL`;
  }
}

/** The first of `cas` that issued and signed `crl`, if any. */
export async function crlSigner(
  crl: pkijs.CertificateRevocationList,
  cas: readonly pkijs.Certificate[],
): Promise<pkijs.Certificate | undefined> {
  for (const ca of cas) {
    try {
      if (await crl.verify({ issuerCertificate: ca })) return ca;
    } catch {
      // A key the engine cannot use: not this CA.
    }
  }
  return undefined;
}

/**
 * Read the CRL at `path` and check it: a PEM `X509 CRL`, issued and signed by one of `cas`
 * (the certificates of `caFile`), with a nextUpdate after `now`. Problems come back as lines
 * naming the file; an expired CRL says how to refresh it. `list` is set when there is no problem
 * (or, with `acceptStale`, when the only problem is the CRL's time).
 */
export async function loadRevocationList(
  path: string,
  cas: readonly pkijs.Certificate[],
  caFile: string,
  now: Date = new Date(),
  options: RevocationListOptions = {},
): Promise<{ readonly problems: readonly string[]; readonly list?: RevocationList }> {
  let file: PemFile;
  try {
    file = await readPemFile(path);
  } catch (error) {
    if (error instanceof PemFileError && error.cause instanceof Deno.errors.NotFound) {
      return {
        problems: [
          `${path}: no such file; create an empty list where ca.key is with "sssonector ` +
          `--refresh-crl --cert-dir ${options.certDir ?? "DIR"}" and copy its ca.crl here`,
        ],
      };
    }
    return { problems: [errorMessage(error)] };
  }
  const crl = parseCrlFile(file);
  if (typeof crl === "string") return { problems: [crl] };
  const issuer = nameToString(crl.issuer);
  if (!cas.some((ca) => ca.subject.isEqual(crl.issuer))) {
    return { problems: [`${path}: the CRL is issued by "${issuer}", not by the CA in ${caFile}`] };
  }
  if ((await crlSigner(crl, cas)) === undefined) {
    return { problems: [`${path}: the CRL's signature does not verify with the CA in ${caFile}`] };
  }
  const thisUpdate = crl.thisUpdate.value;
  const nextUpdate = crl.nextUpdate?.value;
  const refresh = `refresh it where ca.key is with "sssonector --refresh-crl --cert-dir ${
    options.certDir ?? "DIR"
  }" (or by revoking with --revoke-cert) and copy the new ca.crl here`;
  if (nextUpdate === undefined) {
    return { problems: [`${path}: the CRL has no nextUpdate; ${refresh}`] };
  }
  const problems: string[] = [];
  if (nextUpdate.getTime() <= now.getTime()) {
    problems.push(`${path}: the CRL expired on ${formatDate(nextUpdate)} (nextUpdate); ${refresh}`);
  } else if (thisUpdate.getTime() > now.getTime()) {
    problems.push(
      `${path}: the CRL is not valid before ${formatDate(thisUpdate)} (now ${
        formatDate(now)
      }); check this host's clock`,
    );
  }
  if (problems.length > 0 && !options.acceptStale) return { problems };
  const entries = (crl.revokedCertificates ?? []).map((entry) => ({
    serialHex: integerHex(entry.userCertificate),
    revokedAt: entry.revocationDate.value,
  }));
  const revoked = new Set(entries.map((entry) => entry.serialHex));
  const list: RevocationList = Object.freeze({
    path,
    pem: file.text,
    number: crlNumber(crl),
    issuer,
    thisUpdate,
    nextUpdate,
    entries: Object.freeze(entries),
    isRevoked(serial: string): boolean {
      const normalized = normalizeSerial(serial);
      return normalized !== undefined && revoked.has(normalized);
    },
  });
  return { problems, list };
}

/** Why one CRL is older than another of the same CA: a lower CRL number, or an earlier issue. */
export type CrlAge = "lower-number" | "issued-earlier";

/**
 * The one rule for which of two CRLs of one CA is older. RFC 5280 (5.2.3) makes the CRL number
 * increase with every list, so when both carry different numbers they decide; otherwise (no
 * number, or the same one issued twice) thisUpdate does. Going back to an older list would
 * un-revoke what the newer one revoked. Undefined when `candidate` is not older than `inForce`.
 */
export function crlOlderThan(
  candidate: Pick<RevocationList, "number" | "thisUpdate">,
  inForce: Pick<RevocationList, "number" | "thisUpdate">,
): CrlAge | undefined {
  if (
    candidate.number !== undefined && inForce.number !== undefined &&
    candidate.number !== inForce.number
  ) {
    return candidate.number < inForce.number ? "lower-number" : undefined;
  }
  return candidate.thisUpdate.getTime() < inForce.thisUpdate.getTime()
    ? "issued-earlier"
    : undefined;
}

/**
 * Why `candidate` may not replace `inForce` (both of the same CA), by {@linkcode crlOlderThan},
 * as the line an operator reads. Undefined when it is not older.
 */
export function olderCrlProblem(
  inForce: RevocationList,
  candidate: RevocationList,
): string | undefined {
  if (crlOlderThan(candidate, inForce) === undefined) return undefined;
  return `${candidate.path}: the CRL is older than the one in force (CRL number ${
    candidate.number ?? "-"
  } against ${inForce.number ?? "-"}, thisUpdate ${formatDate(candidate.thisUpdate)} against ${
    formatDate(inForce.thisUpdate)
  }); copy the newest ca.crl from the CA's folder`;
}
