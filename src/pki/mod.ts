/**
 * Certificates for SSSonector's mutual TLS: generation (`--generate-certs`), checks of a
 * configured certificate set, log summaries and PEM helpers.
 *
 * @module
 */

export type { GenerateCertsOptions, KeyType } from "./types.ts";
export { PkiError } from "./errors.ts";
export {
  CA_VALIDITY_DAYS,
  CLOCK_SKEW_MS,
  generateCertificates,
  type GeneratedFiles,
  MAX_LEAF_VALIDITY_DAYS,
} from "./generate.ts";
export {
  type CertificateRole,
  type CertificateSetFiles,
  type CertificateSummary,
  checkCertificateSet,
  describeCertificate,
} from "./inspect.ts";
export { decodePem, decodePemCertificates, encodePem, type PemBlock } from "./pem.ts";
