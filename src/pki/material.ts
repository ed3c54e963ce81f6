import type { TlsVersion } from "../config/types.ts";

/**
 * The PEM texts one side needs for mutual TLS. The certificate store (src/pki/certificate_store.ts)
 * loads and checks them as a set and hands out the current one.
 */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  readonly minVersion: TlsVersion;
}
