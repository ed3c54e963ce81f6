/** Issue client certificates with chosen validity from a certificate folder's CA (tests only). */
import { join } from "node:path";
import { buildLeafCertificate } from "../../src/pki/_build.ts";
import { loadIssuer } from "../../src/pki/_ca.ts";
import { exportPkcs8, generateKeyPair } from "../../src/pki/_keys.ts";
import { certificateDer, commonNameOnly, OID } from "../../src/pki/x509.ts";
import { encodePem } from "../../src/pki/pem.ts";

export interface IssuedClient {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * A client certificate `name` signed by the CA in `certDir` (ca.crt, ca.key), valid from
 * `notBefore` to `notAfter`, written to `<certDir>/<name>.crt` and `.key`.
 */
export async function issueClient(
  certDir: string,
  name: string,
  validity: { readonly notBefore: Date; readonly notAfter: Date },
): Promise<IssuedClient> {
  const issuer = await loadIssuer(join(certDir, "ca.crt"), join(certDir, "ca.key"), new Date());
  const keys = await generateKeyPair("ecdsa-p256");
  const cert = await buildLeafCertificate(issuer, keys.publicKey, {
    subject: commonNameOnly(name),
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    purposes: [OID.clientAuth],
    rsa: false,
    altNames: [],
  });
  const certPem = encodePem("CERTIFICATE", certificateDer(cert));
  const keyPem = encodePem("PRIVATE KEY", await exportPkcs8(keys.privateKey));
  const certFile = join(certDir, `${name}.crt`);
  const keyFile = join(certDir, `${name}.key`);
  await Deno.writeTextFile(certFile, certPem);
  await Deno.writeTextFile(keyFile, keyPem, { mode: 0o600 });
  return { certFile, keyFile, certPem, keyPem };
}
