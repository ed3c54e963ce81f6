/** Checks of one parsed certificate: validity at a time, usage for a role, signed by a CA. */

import type * as pkijs from "pkijs";
import {
  extendedKeyUsages,
  formatDate,
  hasKeyUsage,
  isCaCertificate,
  KeyUsageBit,
  OID,
} from "./x509.ts";

/** Which end of the TLS connection the certificate is for. */
export type CertificateRole = "server" | "client";

/** Why `cert` is not valid at `now` (`expired on ...`), or undefined when it is. */
export function validityProblem(cert: pkijs.Certificate, now: Date): string | undefined {
  const notBefore = cert.notBefore.value;
  const notAfter = cert.notAfter.value;
  if (now.getTime() < notBefore.getTime()) {
    return `is not yet valid: valid from ${formatDate(notBefore)} (now ${formatDate(now)})`;
  }
  if (now.getTime() > notAfter.getTime()) {
    return `expired on ${formatDate(notAfter)} (now ${formatDate(now)})`;
  }
  return undefined;
}

/** Why `cert` cannot serve as a TLS `role` certificate; empty when it can. */
export function usageProblems(cert: pkijs.Certificate, role: CertificateRole): string[] {
  const problems: string[] = [];
  const wanted = role === "server" ? OID.serverAuth : OID.clientAuth;
  const purposes = extendedKeyUsages(cert);
  // No extendedKeyUsage extension means any purpose (RFC 5280 4.2.1.12).
  if (
    purposes !== undefined && !purposes.includes(wanted) &&
    !purposes.includes(OID.anyExtendedKeyUsage)
  ) {
    const name = role === "server" ? "serverAuth" : "clientAuth";
    problems.push(
      `certificate cannot be used as a TLS ${role}: its extendedKeyUsage lacks ${name}`,
    );
  }
  if (hasKeyUsage(cert, KeyUsageBit.digitalSignature) === false) {
    problems.push("certificate cannot sign TLS handshakes: its keyUsage lacks digitalSignature");
  }
  if (isCaCertificate(cert)) {
    problems.push("certificate is a CA certificate, not a server or client certificate");
  }
  return problems;
}

/** The first of `cas` whose key signed `cert`, if any. */
export async function signerOf(
  cert: pkijs.Certificate,
  cas: readonly pkijs.Certificate[],
): Promise<pkijs.Certificate | undefined> {
  for (const ca of cas) {
    try {
      if (await cert.verify(ca)) return ca;
    } catch {
      // A key the engine cannot use, or a mangled signature: not this CA.
    }
  }
  return undefined;
}
