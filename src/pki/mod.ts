/**
 * Certificates for SSSonector's mutual TLS: generation (`--generate-certs`), checks of a
 * configured certificate set, the reloadable certificate store, log summaries and PEM helpers.
 *
 * @module
 */

export { isKeyType, KEY_TYPES } from "./types.ts";
export type { GenerateCertsOptions, KeyType } from "./types.ts";
export { PkiError } from "./errors.ts";
export { CA_VALIDITY_DAYS, CLOCK_SKEW_MS, MAX_LEAF_VALIDITY_DAYS } from "./limits.ts";
export { generateCertificates, type GeneratedFiles } from "./generate.ts";
export {
  type CertificateRole,
  type CertificateSetFiles,
  checkCertificateSet,
} from "./certificate_set.ts";
export { type CertificateSummary, describeCertificate } from "./describe.ts";
export {
  loadRevocationList,
  normalizeSerial,
  type RevocationList,
  type RevokedEntry,
} from "./crl.ts";
export {
  type CrlOptions,
  type CrlWritten,
  describeCrl,
  refreshRevocationList,
  revokeCertificate,
  type RevokeOptions,
  type RevokeResult,
} from "./revoke.ts";
export { checkKeyFileMode, keyModeProblem } from "./key_permissions.ts";
export {
  type CertificateChange,
  type CertificateListener,
  CertificateSetError,
  type CertificateState,
  CertificateStore,
  type CertificateStoreOptions,
  describeExpiring,
  type ExpiringItem,
  inLastThird,
  type ReloadResult,
} from "./certificate_store.ts";
export { decodePem, decodePemCertificates, encodePem, type PemBlock } from "./pem.ts";
