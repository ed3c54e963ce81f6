import type { TlsConfig, TlsVersion } from "../config/types.ts";
import { describeFileError } from "../runtime/file_errors.ts";

/** The PEM texts one side needs for mutual TLS. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  readonly minVersion: TlsVersion;
}

/** A TLS file could not be read; the message names the file and the key it came from. */
export class TlsFileError extends Error {
  override name = "TlsFileError";
}

async function readPem(path: string, key: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new TlsFileError(`security.tls.${key}: cannot read ${path}: ${describeFileError(error)}`);
  }
}

/** Reads the certificate, key and CA named by the configuration. */
export async function loadTlsMaterial(tls: TlsConfig): Promise<TlsMaterial> {
  const [cert, key, ca] = await Promise.all([
    readPem(tls.certFile, "cert_file"),
    readPem(tls.keyFile, "key_file"),
    readPem(tls.caFile, "ca_file"),
  ]);
  return { cert, key, ca, minVersion: tls.minVersion };
}
