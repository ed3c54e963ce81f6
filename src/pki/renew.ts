/**
 * `--renew NAME`: a fresh certificate for a server or client that has one, from the CA that
 * issued it: same subject, subjectAltNames, extended key usage and key type; a new key and a new
 * serial. The key and certificate files are replaced whole (written beside, then renamed).
 *
 * @module
 */

import * as pkijs from "pkijs";
import { join, resolve } from "node:path";
import { buildLeafCertificate } from "./_build.ts";
import { loadIssuer } from "./_ca.ts";
import { signerOf } from "./checks.ts";
import { PkiError } from "./errors.ts";
import { generateKeyPair, isRsaKeyType, keyTypeOf } from "./_keys.ts";
import { CLOCK_SKEW_MS, DAY_MS } from "./limits.ts";
import { checkDays } from "./_options.ts";
import { readPemFile } from "./_pem_file.ts";
import type { KeyType } from "./types.ts";
import { certFile, keyFile, moveInto, writeTemporary } from "./_write.ts";
import {
  extendedKeyUsages,
  findExtension,
  nameToString,
  OID,
  parseCertificate,
  serialHex,
  subjectAltNames,
} from "./x509.ts";

const CERT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface RenewOptions {
  /** The folder with ca.crt, ca.key and `<name>.crt`. */
  readonly certDir: string;
  /** The file stem: `server`, or a client's name. */
  readonly name: string;
  /** Validity of the new certificate in days. @default as long as the old one was valid */
  readonly days?: number;
}

/** What {@linkcode renewCertificate} did. */
export interface RenewResult {
  readonly certFile: string;
  readonly keyFile: string;
  readonly subject: string;
  readonly keyType: KeyType;
  /** subjectAltName entries, e.g. `IP:10.0.0.1`. */
  readonly sans: readonly string[];
  readonly oldSerialHex: string;
  readonly oldNotAfter: Date;
  readonly serialHex: string;
  readonly notAfter: Date;
}

/**
 * Issue a new certificate and key for `<certDir>/<name>.crt` and replace both files.
 *
 * @throws {PkiError} On a bad name, an unusable CA, a certificate that CA did not issue, or a key
 * type the tool cannot generate.
 */
export async function renewCertificate(
  options: RenewOptions,
  now: Date = new Date(),
): Promise<RenewResult> {
  const dir = resolve(options.certDir);
  const { name } = options;
  if (!CERT_NAME.test(name) || name === "ca") {
    throw new PkiError(
      `"${name}" does not name a server or client certificate in ${dir}: ` +
        "give the file name without .crt, e.g. server or web2 (the CA is replaced with --new-ca)",
    );
  }
  if (options.days !== undefined) checkDays(options.days);
  const path = join(dir, `${name}.crt`);
  const old = await readCertificate(path);
  const issuer = await loadIssuer(
    join(dir, "ca.crt"),
    join(dir, "ca.key"),
    now,
    `renewing needs the CA that issued ${path}`,
  );
  if ((await signerOf(old, [issuer.cert])) === undefined) {
    throw new PkiError(
      `${path} was not issued by the CA in ${join(dir, "ca.crt")}: ` +
        "issue a new one with --generate-certs instead",
      { path },
    );
  }
  const found = await keyTypeOf(old.subjectPublicKeyInfo);
  if ("unsupported" in found) {
    throw new PkiError(
      `${path} has a key of a type SSSonector does not generate (${found.unsupported}): ` +
        "issue a new one with --generate-certs --key-type",
      { path },
    );
  }
  const keyType = found.type;

  const oldDays = Math.round(
    (old.notAfter.value.getTime() - old.notBefore.value.getTime() - CLOCK_SKEW_MS) / DAY_MS,
  );
  const days = options.days ?? Math.max(1, oldDays);
  // A leaf never outlives the CA that signed it.
  const notAfter = new Date(
    Math.min(now.getTime() + days * DAY_MS, issuer.cert.notAfter.value.getTime()),
  );
  const keys = await generateKeyPair(keyType);
  const cert = await buildLeafCertificate(issuer, keys.publicKey, {
    subject: old.subject,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    purposes: purposesOf(old, name),
    rsa: isRsaKeyType(keyType),
    altNames: altNamesOf(old),
  });

  // Both files are complete beside their targets before either is renamed into place, so the
  // window in which the key and certificate do not match is two renames long.
  const keyPath = join(dir, `${name}.key`);
  const newKey = await writeTemporary(await keyFile(keyPath, keys.privateKey));
  const newCert = await writeTemporary(certFile(path, cert)).catch(async (error) => {
    await Deno.remove(newKey).catch(() => {});
    throw error;
  });
  // The new files keep the old ones' group and mode (e.g. a key 0640 root:nogroup), so a
  // tunnel that dropped to its run user can still read them on SIGHUP.
  await keepOwnership(keyPath, newKey);
  await keepOwnership(path, newCert);
  await moveInto(newKey, keyPath).catch(async (error) => {
    await Deno.remove(newCert).catch(() => {});
    throw error;
  });
  await moveInto(newCert, path);

  return {
    certFile: path,
    keyFile: keyPath,
    subject: nameToString(cert.subject),
    keyType,
    sans: subjectAltNames(cert),
    oldSerialHex: serialHex(old),
    oldNotAfter: old.notAfter.value,
    serialHex: serialHex(cert),
    notAfter: cert.notAfter.value,
  };
}

async function readCertificate(path: string): Promise<pkijs.Certificate> {
  const block = (await readPemFile(path)).blocks.find((b) => b.label === "CERTIFICATE");
  if (block === undefined) throw new PkiError(`${path} holds no PEM certificate`, { path });
  try {
    return parseCertificate(block.der);
  } catch {
    throw new PkiError(`${path} is not a valid X.509 certificate`, { path });
  }
}

/** The old extended key usage; without one, the role the file name says. */
function purposesOf(cert: pkijs.Certificate, name: string): readonly string[] {
  const purposes = extendedKeyUsages(cert);
  if (purposes !== undefined && purposes.length > 0) return purposes;
  return [name === "server" ? OID.serverAuth : OID.clientAuth];
}

function altNamesOf(cert: pkijs.Certificate): readonly pkijs.GeneralName[] {
  const value: unknown = findExtension(cert, OID.subjectAltName)?.parsedValue;
  return value instanceof pkijs.AltName ? value.altNames : [];
}

/** Gives `fresh` the group and permission bits of `previous`, when it can be read. */
async function keepOwnership(previous: string, fresh: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(previous);
  } catch {
    return;
  }
  if (info.gid !== null) await Deno.chown(fresh, null, info.gid).catch(() => {});
  if (info.mode !== null) await Deno.chmod(fresh, info.mode & 0o777);
}
