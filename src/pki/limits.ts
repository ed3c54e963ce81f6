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
