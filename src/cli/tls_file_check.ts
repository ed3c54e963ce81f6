/**
 * A check made before any other on the TLS files: a certificate and key given the wrong way round
 * (cert_file naming the key, key_file the certificate) is one mistake with one fix, where the
 * checks that follow would report it as three problems, the first a wrong fix (a mode to change
 * on the certificate).
 *
 * @module
 */

/** The labels of the PEM blocks in `text`, e.g. `["CERTIFICATE"]`. */
function pemLabels(text: string): string[] {
  return [...text.matchAll(/^-----BEGIN ([A-Z0-9 ]+)-----\s*$/gm)].map((match) => match[1]!);
}

async function labelsOf(path: string): Promise<string[] | undefined> {
  try {
    return pemLabels(await Deno.readTextFile(path));
  } catch {
    return undefined; // unreadable: the checks that follow say why
  }
}

/**
 * One line when `certFile` holds only a private key and `keyFile` only certificates; undefined
 * otherwise (including when either cannot be read).
 */
export async function swappedTlsFiles(
  tls: { readonly certFile: string; readonly keyFile: string },
): Promise<string | undefined> {
  const [cert, key] = await Promise.all([labelsOf(tls.certFile), labelsOf(tls.keyFile)]);
  if (cert === undefined || key === undefined) return undefined;
  const isKey = (labels: string[]) =>
    labels.length > 0 && labels.every((label) => label.endsWith("PRIVATE KEY"));
  const isCert = (labels: string[]) =>
    labels.length > 0 && labels.every((label) => label === "CERTIFICATE");
  if (!isKey(cert) || !isCert(key)) return undefined;
  return `security.tls.cert_file and key_file are swapped: cert_file ${tls.certFile} holds a ` +
    `private key and key_file ${tls.keyFile} a certificate; exchange the two paths`;
}
