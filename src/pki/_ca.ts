/** Loading the CA that issues certificates from a certificate folder: ca.crt and ca.key. */

import type * as pkijs from "pkijs";
import type { Issuer } from "./_build.ts";
import { PkiError } from "./errors.ts";
import { importPkcs8, keyMatchesPublicKey } from "./_keys.ts";
import { readPemFile } from "./_pem_file.ts";
import { formatDate, isCaCertificate, keyIdentifier, parseCertificate } from "./x509.ts";
import { errorMessage } from "../base/error_message.ts";

/** What to do about an unusable CA, at the end of each message. */
export const NEW_CA_HINT =
  "pass --new-ca to create a new CA (every certificate the old one issued stops working)";

/**
 * Load and check the CA in a certificate folder: a CA certificate, its matching key, still
 * valid at `now`. Every message ends with `hint`, what the user may do instead.
 *
 * @throws {PkiError} Naming the file that is unusable and why.
 */
export async function loadIssuer(
  certPath: string,
  keyPath: string,
  now: Date,
  hint = NEW_CA_HINT,
): Promise<Issuer> {
  const certBlock = (await readPemFile(certPath)).blocks.find((b) => b.label === "CERTIFICATE");
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
  const keyBlock = (await readPemFile(keyPath)).blocks.find((b) => b.label === "PRIVATE KEY");
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
