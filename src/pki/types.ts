/** Options of `sssonector --generate-certs`, and the key types every certificate command knows. */

/** The key types SSSonector generates; the one list the command line and the checks share. */
export const KEY_TYPES = ["ecdsa-p256", "rsa-2048", "rsa-4096"] as const;

export type KeyType = typeof KEY_TYPES[number];

/** True when `text` names one of {@linkcode KEY_TYPES}. */
export function isKeyType(text: string): text is KeyType {
  return (KEY_TYPES as readonly string[]).includes(text);
}

export interface GenerateCertsOptions {
  /** Folder that receives ca.crt ca.key server.crt server.key <client>.crt <client>.key. */
  readonly certDir: string;
  /** IP address put into the server certificate's SAN (required when a new CA is made). */
  readonly serverIp?: string;
  /** Extra DNS names for the server certificate's SAN. @default [] */
  readonly serverNames: readonly string[];
  /** Common name of the client certificate; also the file stem when not "client". @default "client" */
  readonly clientName: string;
  /** Validity of server and client certificates in days. @default 365 */
  readonly days: number;
  /** @default "ecdsa-p256" */
  readonly keyType: KeyType;
  /** Overwrite existing server and client files; never the CA's. @default false */
  readonly force: boolean;
  /**
   * Create a new CA even when certDir has one, replacing ca.crt and ca.key: every certificate
   * the old CA issued stops working. @default false
   */
  readonly newCa?: boolean;
}
