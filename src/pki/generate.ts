/**
 * `sssonector --generate-certs`: a CA, a server certificate and a client certificate for mutual
 * TLS, or one more client certificate from a CA that is already there.
 */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { dirname, join, resolve } from "node:path";
import { PkiError } from "./errors.ts";
import { parseIpAddress } from "../ip/address_bytes.ts";
import {
  exportPkcs8,
  generateKeyPair,
  importPkcs8,
  isRsaKeyType,
  keyMatchesPublicKey,
  signingHash,
  toArrayBuffer,
} from "./_keys.ts";
import {
  certificateDer,
  commonNameOnly,
  extension,
  formatDate,
  isCaCertificate,
  keyIdentifier,
  KeyUsageBit,
  keyUsageBits,
  OID,
  parseCertificate,
  randomSerial,
  validityTime,
} from "./_x509.ts";
import { decodePem, encodePem, type PemBlock } from "./pem.ts";
import type { GenerateCertsOptions, KeyType } from "./types.ts";
import { errorMessage } from "../runtime/error_message.ts";

/** Validity of a new CA certificate. */
export const CA_VALIDITY_DAYS = 3650;
/** Longest validity `days` may ask for. */
export const MAX_LEAF_VALIDITY_DAYS = 3650;
/** How far notBefore lies in the past, so peers whose clock is a little behind accept the cert. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const DIR_MODE = 0o700;

const KEY_TYPES: readonly KeyType[] = ["ecdsa-p256", "rsa-2048", "rsa-4096"];
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** What {@linkcode generateCertificates} did; all paths are absolute. */
export interface GeneratedFiles {
  readonly caCertFile: string;
  readonly caKeyFile: string;
  /** True when the CA already in certDir issued the new certificates. */
  readonly caReused: boolean;
  /** Set when a server certificate was written (serverIp was given). */
  readonly serverCertFile?: string;
  readonly serverKeyFile?: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Every file written, in the order written. */
  readonly written: readonly string[];
}

interface Issuer {
  readonly cert: pkijs.Certificate;
  readonly privateKey: CryptoKey;
  readonly keyId: Uint8Array;
}

interface PlannedFile {
  readonly path: string;
  readonly mode: number;
  readonly data: string;
}

/**
 * Write certificates for mutual TLS into `options.certDir` (created with mode 0700 if missing).
 *
 * - When certDir holds `ca.crt` and `ca.key` and `force` is false, that CA is reused; otherwise a
 *   new CA is made (CN "SSSonector CA", 10 years), which needs `serverIp`.
 * - A server certificate (`server.crt`, `server.key`) is written when `serverIp` is given.
 * - A client certificate (`<clientName>.crt`, `<clientName>.key`) is always written.
 *
 * Without `force` no existing file is replaced, and nothing is written when one would be.
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
  if (!options.force && caCertExists !== caKeyExists) {
    const [found, missing] = caCertExists ? [caCertFile, caKeyFile] : [caKeyFile, caCertFile];
    throw new PkiError(
      `Found ${found} but not ${missing}: restore it, or pass --force to create a new CA`,
      { path: missing },
    );
  }
  const reuseCa = caCertExists && caKeyExists && !options.force;
  if (!reuseCa && settings.serverIp === undefined) {
    throw new PkiError(
      `A server IP is needed to create a new CA and server certificate in ${dir}: pass --server-ip`,
    );
  }

  const targets = [
    ...(reuseCa ? [] : [caKeyFile, caCertFile]),
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
  const files: PlannedFile[] = [];
  if (ca.keys !== undefined) {
    files.push(await keyFile(caKeyFile, ca.keys.privateKey), certFile(caCertFile, issuer.cert));
  }

  // A leaf never outlives the CA that signed it.
  const caNotAfter = issuer.cert.notAfter.value.getTime();
  const notAfter = new Date(Math.min(now + options.days * DAY_MS, caNotAfter));
  const rsa = isRsaKeyType(options.keyType);

  if (serverKeys !== undefined && settings.serverIp !== undefined) {
    const cert = await buildLeafCertificate(issuer, serverKeys, {
      commonName: settings.serverIp.text,
      notBefore,
      notAfter,
      purpose: OID.serverAuth,
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

  const clientCert = await buildLeafCertificate(issuer, clientKeys, {
    commonName: options.clientName,
    notBefore,
    notAfter,
    purpose: OID.clientAuth,
    rsa,
    altNames: [],
  });
  files.push(
    await keyFile(clientKeyFile, clientKeys.privateKey),
    certFile(clientCertFile, clientCert),
  );

  await createDirectory(dir);
  const written: string[] = [];
  for (const file of files) {
    await writeFileSafely(file, options.force);
    written.push(file.path);
  }

  return {
    caCertFile,
    caKeyFile,
    caReused: reuseCa,
    ...(settings.serverIp === undefined ? {} : { serverCertFile, serverKeyFile }),
    clientCertFile,
    clientKeyFile,
    written,
  };
}

interface Settings {
  readonly serverIp: { readonly text: string; readonly octets: Uint8Array } | undefined;
  readonly serverNames: readonly string[];
}

function validateOptions(options: GenerateCertsOptions): Settings {
  if (options.certDir.trim() === "") {
    throw new PkiError("The certificate folder is empty: pass --cert-dir");
  }
  if (!KEY_TYPES.includes(options.keyType)) {
    throw new PkiError(
      `Key type "${String(options.keyType)}" is not supported: use one of ${KEY_TYPES.join(", ")}`,
    );
  }
  if (
    !Number.isInteger(options.days) || options.days < 1 ||
    options.days > MAX_LEAF_VALIDITY_DAYS
  ) {
    throw new PkiError(
      `Validity days must be a whole number from 1 to ${MAX_LEAF_VALIDITY_DAYS}: got "${options.days}"`,
    );
  }
  if (!CLIENT_NAME.test(options.clientName)) {
    throw new PkiError(
      `Client name "${options.clientName}" is not usable as a file name: ` +
        "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
  }
  if (options.clientName === "ca" || options.clientName === "server") {
    throw new PkiError(
      `Client name "${options.clientName}" would overwrite the ${options.clientName} files: choose another`,
    );
  }
  let serverIp: Settings["serverIp"];
  if (options.serverIp !== undefined) {
    const octets = parseIpAddress(options.serverIp);
    if (octets === undefined) {
      throw new PkiError(`Server IP "${options.serverIp}" is not an IPv4 or IPv6 address`);
    }
    serverIp = { text: options.serverIp, octets };
  }
  const serverNames: string[] = [];
  for (const name of options.serverNames) {
    if (!isDnsName(name)) {
      throw new PkiError(`Server name "${name}" is not a valid DNS name`);
    }
    if (!serverNames.includes(name.toLowerCase())) serverNames.push(name.toLowerCase());
  }
  return { serverIp, serverNames };
}

/** A host name of letters, digits and hyphens, dot-separated; the first label may be "*". */
function isDnsName(name: string): boolean {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  if (trimmed.length === 0 || trimmed.length > 253) return false;
  const labels = trimmed.split(".");
  return labels.every((label, i) =>
    DNS_LABEL.test(label) || (i === 0 && label === "*" && labels.length > 2)
  );
}

/** A new CA: its key pair and self-signed certificate. */
async function createCa(
  keyType: KeyType,
  notBefore: Date,
  notAfter: Date,
): Promise<{ issuer: Issuer; keys: CryptoKeyPair }> {
  const keys = await generateKeyPair(keyType);
  const { cert, keyId } = await buildCaCertificate(keys, notBefore, notAfter);
  return { issuer: { cert, privateKey: keys.privateKey, keyId }, keys };
}

/** An unsigned certificate for `publicKey` with a fresh serial, and its subject key identifier. */
async function unsignedCertificate(
  issuer: pkijs.RelativeDistinguishedNames,
  subject: pkijs.RelativeDistinguishedNames,
  notBefore: Date,
  notAfter: Date,
  publicKey: CryptoKey,
): Promise<{ cert: pkijs.Certificate; keyId: Uint8Array }> {
  const cert = new pkijs.Certificate({
    version: 2,
    serialNumber: randomSerial(),
    issuer,
    subject,
    notBefore: validityTime(notBefore),
    notAfter: validityTime(notAfter),
  });
  await cert.subjectPublicKeyInfo.importKey(publicKey);
  return { cert, keyId: await keyIdentifier(cert.subjectPublicKeyInfo) };
}

async function buildCaCertificate(
  keys: CryptoKeyPair,
  notBefore: Date,
  notAfter: Date,
): Promise<{ cert: pkijs.Certificate; keyId: Uint8Array }> {
  const { cert, keyId } = await unsignedCertificate(
    commonNameOnly("SSSonector CA"),
    commonNameOnly("SSSonector CA"),
    notBefore,
    notAfter,
    keys.publicKey,
  );
  cert.extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true })),
    extension(
      OID.keyUsage,
      true,
      keyUsageBits([KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]),
    ),
    subjectKeyIdentifier(keyId),
    authorityKeyIdentifier(keyId),
  ];
  await cert.sign(keys.privateKey, signingHash(keys.privateKey));
  return { cert, keyId };
}

interface LeafProfile {
  readonly commonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly purpose: string;
  readonly rsa: boolean;
  readonly altNames: readonly pkijs.GeneralName[];
}

async function buildLeafCertificate(
  issuer: Issuer,
  keys: CryptoKeyPair,
  profile: LeafProfile,
): Promise<pkijs.Certificate> {
  const { cert, keyId } = await unsignedCertificate(
    // The issuer Name is copied as encoded, so chain building matches it byte for byte.
    issuer.cert.subject,
    commonNameOnly(profile.commonName),
    profile.notBefore,
    profile.notAfter,
    keys.publicKey,
  );
  const usage = profile.rsa
    ? [KeyUsageBit.digitalSignature, KeyUsageBit.keyEncipherment]
    : [KeyUsageBit.digitalSignature];
  cert.extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false })),
    extension(OID.keyUsage, true, keyUsageBits(usage)),
    extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [profile.purpose] })),
    ...(profile.altNames.length === 0 ? [] : [
      extension(OID.subjectAltName, false, new pkijs.AltName({ altNames: [...profile.altNames] })),
    ]),
    subjectKeyIdentifier(keyId),
    authorityKeyIdentifier(issuer.keyId),
  ];
  await cert.sign(issuer.privateKey, signingHash(issuer.privateKey));
  return cert;
}

function subjectKeyIdentifier(keyId: Uint8Array): pkijs.Extension {
  return extension(
    OID.subjectKeyIdentifier,
    false,
    new asn1js.OctetString({ valueHex: toArrayBuffer(keyId) }),
  );
}

function authorityKeyIdentifier(keyId: Uint8Array): pkijs.Extension {
  const value = new pkijs.AuthorityKeyIdentifier({
    keyIdentifier: new asn1js.OctetString({ valueHex: toArrayBuffer(keyId) }),
  });
  return extension(OID.authorityKeyIdentifier, false, value);
}

/** Load and check the CA in certDir: a CA certificate, its matching key, still valid. */
async function loadIssuer(certPath: string, keyPath: string, now: Date): Promise<Issuer> {
  const hint = "pass --force to create a new CA";
  const certBlock = (await readPem(certPath)).find((b) => b.label === "CERTIFICATE");
  if (certBlock === undefined) {
    throw new PkiError(`${certPath} holds no PEM certificate: ${hint}`, { path: certPath });
  }
  let cert: pkijs.Certificate;
  try {
    cert = parseCertificate(certBlock.der);
  } catch {
    throw new PkiError(`${certPath} is not a valid X.509 certificate: ${hint}`, { path: certPath });
  }
  if (!isCaCertificate(cert)) {
    throw new PkiError(`${certPath} is not a CA certificate (no CA:TRUE): ${hint}`, {
      path: certPath,
    });
  }
  if (cert.notAfter.value.getTime() <= now.getTime()) {
    throw new PkiError(
      `The CA certificate ${certPath} expired on ${formatDate(cert.notAfter.value)}: ${hint}`,
      { path: certPath },
    );
  }
  const keyBlock = (await readPem(keyPath)).find((b) => b.label === "PRIVATE KEY");
  if (keyBlock === undefined) {
    throw new PkiError(`${keyPath} holds no unencrypted PKCS#8 private key: ${hint}`, {
      path: keyPath,
    });
  }
  let privateKey: CryptoKey;
  try {
    privateKey = await importPkcs8(keyBlock.der);
  } catch (error) {
    const detail = errorMessage(error);
    throw new PkiError(`${keyPath} cannot be used as the CA key: ${detail}`, { path: keyPath });
  }
  if (!(await keyMatchesPublicKey(privateKey, cert.subjectPublicKeyInfo))) {
    throw new PkiError(`${keyPath} does not match the CA certificate ${certPath}`, {
      path: keyPath,
    });
  }
  return { cert, privateKey, keyId: await keyIdentifier(cert.subjectPublicKeyInfo) };
}

async function keyFile(path: string, key: CryptoKey): Promise<PlannedFile> {
  return { path, mode: KEY_MODE, data: encodePem("PRIVATE KEY", await exportPkcs8(key)) };
}

function certFile(path: string, cert: pkijs.Certificate): PlannedFile {
  return { path, mode: CERT_MODE, data: encodePem("CERTIFICATE", certificateDer(cert)) };
}

/**
 * Write a file that has its final mode before any byte is in it (Deno creates it with `mode` and
 * sets that mode exactly, whatever the umask), so a key is never readable by others even for a
 * moment. Without `force` the file must not exist (checked by the create itself); with `force` a
 * temporary file in the same folder is renamed over the old one.
 */
async function writeFileSafely(file: PlannedFile, force: boolean): Promise<void> {
  const bytes = new TextEncoder().encode(file.data);
  const target = force ? temporaryPath(file.path) : file.path;
  try {
    await Deno.writeFile(target, bytes, { createNew: true, mode: file.mode });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new PkiError(
        `Refusing to overwrite ${file.path}: it exists; pass --force to replace it`,
        { path: file.path },
      );
    }
    await Deno.remove(target).catch(() => {});
    throw writeError(file.path, error);
  }
  if (!force) return;
  try {
    await Deno.rename(target, file.path);
  } catch (error) {
    await Deno.remove(target).catch(() => {});
    throw writeError(file.path, error);
  }
}

function temporaryPath(path: string): string {
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(6)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
  return join(dirname(path), `.${path.slice(dirname(path).length + 1)}.${random}.tmp`);
}

function writeError(path: string, error: unknown): PkiError {
  const detail = errorMessage(error);
  return new PkiError(`Cannot write ${path}: ${detail}`, { path, cause: error });
}

/** Fails when `dir` exists but is not a folder or cannot be looked at; a missing one is fine. */
async function checkDirectory(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    const detail = errorMessage(error);
    throw new PkiError(`Cannot use the certificate folder ${dir}: ${detail}`, { path: dir });
  }
  if (!info.isDirectory) {
    throw new PkiError(`The certificate folder ${dir} is not a folder`, { path: dir });
  }
}

/** Create `dir` with mode 0700 when missing (parents with the default mode); keep an existing one. */
async function createDirectory(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dirname(dir), { recursive: true });
    await Deno.mkdir(dir, { mode: DIR_MODE });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return;
    const detail = errorMessage(error);
    throw new PkiError(`Cannot create the certificate folder ${dir}: ${detail}`, { path: dir });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    const detail = errorMessage(error);
    throw new PkiError(`Cannot check ${path}: ${detail}`, { path });
  }
}

async function readPem(path: string): Promise<PemBlock[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const detail = errorMessage(error);
    throw new PkiError(`Cannot read ${path}: ${detail}`, { path });
  }
  try {
    return decodePem(text);
  } catch (error) {
    const detail = errorMessage(error);
    throw new PkiError(`${path} is not a valid PEM file: ${detail}`, { path });
  }
}
