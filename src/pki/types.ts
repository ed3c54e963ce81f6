/** Options of `sssonector --generate-certs`. */

export type KeyType = "ecdsa-p256" | "rsa-2048" | "rsa-4096";

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
  /** Overwrite existing files. @default false */
  readonly force: boolean;
}
