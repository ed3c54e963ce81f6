/** Validity periods and clock allowances shared by every certificate the tool issues. */

/** Validity of a new CA certificate. */
export const CA_VALIDITY_DAYS = 3650;
/** Longest validity `days` may ask for. */
export const MAX_LEAF_VALIDITY_DAYS = 3650;
/** How far notBefore lies in the past, so peers whose clock is a little behind accept the cert. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** One day in milliseconds. */
export const DAY_MS = 24 * 60 * 60 * 1000;
/** Days from a CRL's thisUpdate to its nextUpdate, unless `--crl-days` says otherwise. */
export const DEFAULT_CRL_DAYS = 30;
/** Longest a CRL may stay current. */
export const MAX_CRL_DAYS = 365;
/**
 * Largest peer certificate (DER) our own code parses. Ours are under 2 KB (an RSA 4096 one under
 * 1.5 KB); a stranger's 35 KB certificate of 3000 names cost 22 ms of parsing per attempt, 85 %
 * of what its handshake cost the server. Larger ones are refused unparsed.
 */
export const MAX_PEER_CERTIFICATE_BYTES = 16 * 1024;

/** The line refusing a certificate of `bytes` without parsing it. */
export function oversizeCertificate(bytes: number): string {
  return `the client certificate is ${bytes} bytes; this server examines none over ` +
    `${MAX_PEER_CERTIFICATE_BYTES} (its own are under 2 KB)`;
}
