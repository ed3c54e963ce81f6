/**
 * The client-certificate checks of a full handshake, done again by us after every handshake.
 * rustls (under Deno's node:tls) verifies a client certificate only in a full handshake: a resumed
 * session (a TLS 1.2 or 1.3 ticket) restores the certificate from the ticket unchecked, and the
 * ticket keys are the process's own, shared by every server context and never rotated (Deno
 * 2.9.6 ignores `ticketKeys`, `sessionTimeout` and `secureOptions`). So whether a session was
 * resumed or not, its certificate must chain to the CA in force now, be valid now and be meant
 * for client authentication. Revocation is checked by the server against the current CRL.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import * as pkijs from "pkijs";
import { toArrayBuffer } from "./_keys.ts";
import { MAX_PEER_CERTIFICATE_BYTES, oversizeCertificate } from "./limits.ts";
import { commonNameOf, extendedKeyUsages, OID, serialHex } from "./x509.ts";
import { decodePemCertificates } from "./pem.ts";

/** Chain certificates a client may send between its certificate and our CA. */
const MAX_CHAIN = 4;

/** The checks against one CA file; make a new one when the CA file changes. */
export class PeerCertificateCheck {
  readonly #authorities: readonly X509Certificate[];
  readonly #now: () => Date;

  /** `caPem`: the CA file's text (one or more certificates). */
  constructor(caPem: string, now: () => Date = () => new Date()) {
    this.#authorities = decodePemCertificates(caPem).map((der) => new X509Certificate(der));
    this.#now = now;
  }

  /**
   * Why the certificate `chain[0]` (DER; the rest are the chain certificates the client sent) is
   * not acceptable now, or undefined when it is.
   */
  problem(chain: readonly Uint8Array[]): string | undefined {
    const [leafDer, ...intermediates] = chain;
    if (leafDer === undefined) return "no client certificate";
    const oversize = chain.slice(0, MAX_CHAIN + 1).find((der) =>
      der.length > MAX_PEER_CERTIFICATE_BYTES
    );
    if (oversize) return oversizeCertificate(oversize.length);
    let leaf: X509Certificate;
    let parsed: pkijs.Certificate;
    try {
      leaf = new X509Certificate(leafDer);
      parsed = pkijs.Certificate.fromBER(toArrayBuffer(leafDer));
    } catch {
      return "the client certificate cannot be parsed";
    }
    const now = this.#now();
    const time = validity(parsed, now);
    if (time) return time;
    const purposes = extendedKeyUsages(parsed);
    if (
      purposes !== undefined && !purposes.includes(OID.clientAuth) &&
      !purposes.includes(OID.anyExtendedKeyUsage)
    ) {
      return "the client certificate is not for client authentication";
    }
    return this.#chains(leaf, intermediates.slice(0, MAX_CHAIN), now)
      ? undefined
      : "the client certificate is not signed by the CA in force";
  }

  /** True when `cert` was signed by one of our CAs, directly or through `chain`. */
  #chains(cert: X509Certificate, chain: readonly Uint8Array[], now: Date): boolean {
    const signed = (subject: X509Certificate, issuer: X509Certificate) =>
      subject.checkIssued(issuer) && subject.verify(issuer.publicKey) &&
      withinValidity(issuer, now);
    if (this.#authorities.some((ca) => signed(cert, ca))) return true;
    const [next, ...rest] = chain;
    if (next === undefined) return false;
    let issuer: X509Certificate;
    try {
      issuer = new X509Certificate(next);
    } catch {
      return false;
    }
    return issuer.ca && signed(cert, issuer) && this.#chains(issuer, rest, now);
  }
}

/**
 * The common name and serial (upper-case hex) of a certificate, for log lines about a refused
 * client; undefined when there is none or it cannot be parsed.
 */
export function certificateIdentity(
  der: Uint8Array | undefined,
): { readonly name: string; readonly serial: string } | undefined {
  if (der === undefined || der.length === 0 || der.length > MAX_PEER_CERTIFICATE_BYTES) {
    return undefined;
  }
  try {
    const cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
    return { name: commonNameOf(cert.subject) ?? "(no common name)", serial: serialHex(cert) };
  } catch {
    return undefined;
  }
}

function validity(cert: pkijs.Certificate, now: Date): string | undefined {
  if (now < cert.notBefore.value) return "the client certificate is not valid yet";
  if (now > cert.notAfter.value) return "the client certificate has expired";
  return undefined;
}

function withinValidity(cert: X509Certificate, now: Date): boolean {
  return now >= new Date(cert.validFrom) && now <= new Date(cert.validTo);
}
