/**
 * `sssonector --generate-certs`: a CA, a server certificate and a client certificate for mutual
 * TLS, or one more client certificate from a CA that is already there.
 */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { join, resolve } from "node:path";
import { buildLeafCertificate, createCa } from "./_build.ts";
import { loadIssuer, NEW_CA_HINT } from "./_ca.ts";
import { PkiError } from "./errors.ts";
import { writeEmptyCrl } from "./revoke.ts";
import { generateKeyPair, isRsaKeyType, toArrayBuffer } from "./_keys.ts";
import { CA_VALIDITY_DAYS, CLOCK_SKEW_MS, DAY_MS } from "./limits.ts";
import { validateOptions } from "./_options.ts";
import type { GenerateCertsOptions } from "./types.ts";
import {
  certFile,
  checkDirectory,
  createDirectory,
  exists,
  keyFile,
  type PlannedFile,
  writeFileSafely,
} from "./_write.ts";
import { commonNameOnly, OID } from "./x509.ts";

/** What {@linkcode generateCertificates} did; all paths are absolute. */
export interface GeneratedFiles {
  readonly caCertFile: string;
  readonly caKeyFile: string;
  /** True when the CA already in certDir issued the new certificates. */
  readonly caReused: boolean;
  /**
   * True when a new CA replaced one that was in certDir (`newCa`): every certificate the old CA
   * issued no longer verifies.
   */
  readonly caReplaced: boolean;
  /** Certificates in certDir that were not rewritten and came from the replaced CA. */
  readonly staleCertificates: readonly string[];
  /** Set when a server certificate was written (serverIp was given). */
  readonly serverCertFile?: string;
  readonly serverKeyFile?: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Every file written, in the order written. */
  readonly written: readonly string[];
}

/**
 * Write certificates for mutual TLS into `options.certDir` (created with mode 0700 if missing).
 *
 * - When certDir holds `ca.crt` and `ca.key`, that CA is reused, also with `force`; only
 *   `newCa` replaces it. Otherwise a new CA is made (CN "SSSonector CA", 10 years), which needs
 *   `serverIp`.
 * - A server certificate (`server.crt`, `server.key`) is written when `serverIp` is given.
 * - A client certificate (`<clientName>.crt`, `<clientName>.key`) is always written.
 * - When a new CA replaces one whose revocation list `ca.crl` is there, an empty CRL of the new
 *   CA takes its place.
 *
 * Without `force` no existing server or client file is replaced, and nothing is written when
 * one would be.
 * Private keys are PKCS#8 PEM created with mode 0600; certificates have mode 0644.
 *
 * @throws {PkiError} On a bad option, a file that exists (without `force`), an unusable existing
 * CA, or a file that cannot be written.
 */
export async function generateCertificates(options: GenerateCertsOptions): Promise<GeneratedFiles> {
  const settings = validateOptions(options);
  const dir = resolve(options.certDir);
  await checkDirectory(dir);
  const path = (name: string) => join(dir, name);
  const caCertFile = path("ca.crt");
  const caKeyFile = path("ca.key");
  const clientCertFile = path(`${options.clientName}.crt`);
  const clientKeyFile = path(`${options.clientName}.key`);
  const serverCertFile = path("server.crt");
  const serverKeyFile = path("server.key");

  const caCertExists = await exists(caCertFile);
  const caKeyExists = await exists(caKeyFile);
  const newCa = options.newCa ?? false;
  if (!newCa && caCertExists !== caKeyExists) {
    const [found, missing] = caCertExists ? [caCertFile, caKeyFile] : [caKeyFile, caCertFile];
    throw new PkiError(`Found ${found} but not ${missing}: restore it, or ${NEW_CA_HINT}`, {
      path: missing,
    });
  }
  const reuseCa = caCertExists && caKeyExists && !newCa;
  const replaceCa = !reuseCa && (caCertExists || caKeyExists);
  if (!reuseCa && settings.serverIp === undefined) {
    throw new PkiError(
      `A server IP is needed to create a new CA and server certificate in ${dir}: pass --server-ip`,
    );
  }

  // The CA's files are replaced only with newCa (checked above), so only leaves are looked at.
  const targets = [
    ...(settings.serverIp === undefined ? [] : [serverKeyFile, serverCertFile]),
    clientKeyFile,
    clientCertFile,
  ];
  if (!options.force) {
    for (const target of targets) {
      if (await exists(target)) {
        throw new PkiError(
          `Refusing to overwrite ${target}: it exists; pass --force to replace it`,
          { path: target },
        );
      }
    }
  }

  const now = Date.now();
  const notBefore = new Date(now - CLOCK_SKEW_MS);
  // Check the existing CA before spending seconds on RSA key generation.
  const existingIssuer = reuseCa
    ? await loadIssuer(caCertFile, caKeyFile, new Date(now))
    : undefined;
  const [ca, serverKeys, clientKeys] = await Promise.all([
    existingIssuer === undefined
      ? createCa(options.keyType, notBefore, new Date(now + CA_VALIDITY_DAYS * DAY_MS))
      : { issuer: existingIssuer, keys: undefined },
    settings.serverIp === undefined ? undefined : generateKeyPair(options.keyType),
    generateKeyPair(options.keyType),
  ]);
  const { issuer } = ca;
  const caFiles: PlannedFile[] = ca.keys === undefined
    ? []
    : [await keyFile(caKeyFile, ca.keys.privateKey), certFile(caCertFile, issuer.cert)];
  const files: PlannedFile[] = [];

  // A leaf never outlives the CA that signed it.
  const caNotAfter = issuer.cert.notAfter.value.getTime();
  const notAfter = new Date(Math.min(now + options.days * DAY_MS, caNotAfter));
  const rsa = isRsaKeyType(options.keyType);

  if (serverKeys !== undefined && settings.serverIp !== undefined) {
    const cert = await buildLeafCertificate(issuer, serverKeys.publicKey, {
      subject: commonNameOnly(settings.serverIp.text),
      notBefore,
      notAfter,
      purposes: [OID.serverAuth],
      rsa,
      altNames: [
        new pkijs.GeneralName({
          type: 7,
          value: new asn1js.OctetString({ valueHex: toArrayBuffer(settings.serverIp.octets) }),
        }),
        ...settings.serverNames.map((name) => new pkijs.GeneralName({ type: 2, value: name })),
      ],
    });
    files.push(await keyFile(serverKeyFile, serverKeys.privateKey), certFile(serverCertFile, cert));
  }

  const clientCert = await buildLeafCertificate(issuer, clientKeys.publicKey, {
    subject: commonNameOnly(options.clientName),
    notBefore,
    notAfter,
    purposes: [OID.clientAuth],
    rsa,
    altNames: [],
  });
  files.push(
    await keyFile(clientKeyFile, clientKeys.privateKey),
    certFile(clientCertFile, clientCert),
  );

  await createDirectory(dir);
  const written: string[] = [];
  for (const file of caFiles) {
    await writeFileSafely(file, replaceCa);
    written.push(file.path);
  }
  // The old CA's revocation list cannot be checked against the new CA: start an empty one.
  const crlFile = path("ca.crl");
  if (replaceCa && await exists(crlFile)) {
    await writeEmptyCrl(dir, issuer, new Date(now));
    written.push(crlFile);
  }
  for (const file of files) {
    await writeFileSafely(file, options.force);
    written.push(file.path);
  }

  return {
    caCertFile,
    caKeyFile,
    caReused: reuseCa,
    caReplaced: replaceCa,
    staleCertificates: replaceCa ? await otherCertificates(dir, written) : [],
    ...(settings.serverIp === undefined ? {} : { serverCertFile, serverKeyFile }),
    clientCertFile,
    clientKeyFile,
    written,
  };
}

/** The `.crt` files in `dir` other than the CA's and those in `written`, sorted. */
async function otherCertificates(dir: string, written: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isFile && entry.name.endsWith(".crt") && entry.name !== "ca.crt") {
      if (!written.includes(path)) found.push(path);
    }
  }
  return found.sort();
}
