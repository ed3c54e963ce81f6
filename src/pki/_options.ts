/** Checks of the `--generate-certs` options, before anything is read or written. */

import { PkiError } from "./errors.ts";
import { parseAddress } from "../ip/address.ts";
import { MAX_LEAF_VALIDITY_DAYS } from "./limits.ts";
import { type GenerateCertsOptions, isKeyType, KEY_TYPES } from "./types.ts";

const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** The options that need converting: the server IP as octets, the DNS names deduplicated. */
export interface Settings {
  readonly serverIp: { readonly text: string; readonly octets: Uint8Array } | undefined;
  readonly serverNames: readonly string[];
}

/**
 * Check `options` and convert the server IP and names.
 *
 * @throws {PkiError} On the first bad value, naming it.
 */
export function validateOptions(options: GenerateCertsOptions): Settings {
  if (options.certDir.trim() === "") {
    throw new PkiError("The certificate folder is empty: pass --cert-dir");
  }
  if (!isKeyType(options.keyType)) {
    throw new PkiError(
      `Key type "${String(options.keyType)}" is not supported: use one of ${KEY_TYPES.join(", ")}`,
    );
  }
  checkDays(options.days);
  checkClientName(options.clientName);
  let serverIp: Settings["serverIp"];
  if (options.serverIp !== undefined) {
    const octets = parseAddress(options.serverIp);
    if (octets === undefined) {
      throw new PkiError(`Server IP "${options.serverIp}" is not an IPv4 or IPv6 address`);
    }
    serverIp = { text: options.serverIp, octets };
  }
  const serverNames: string[] = [];
  for (const name of options.serverNames) {
    if (!isDnsName(name)) {
      throw new PkiError(`Server name "${name}" is not a valid DNS name`);
    }
    if (!serverNames.includes(name.toLowerCase())) serverNames.push(name.toLowerCase());
  }
  return { serverIp, serverNames };
}

/**
 * @throws {PkiError} When `days` is not a whole number from 1 to {@linkcode MAX_LEAF_VALIDITY_DAYS}.
 */
export function checkDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > MAX_LEAF_VALIDITY_DAYS) {
    throw new PkiError(
      `Validity days must be a whole number from 1 to ${MAX_LEAF_VALIDITY_DAYS}: got "${days}"`,
    );
  }
}

/** @throws {PkiError} When `name` cannot be a client certificate's file stem. */
export function checkClientName(name: string): void {
  if (!CLIENT_NAME.test(name)) {
    throw new PkiError(
      `Client name "${name}" is not usable as a file name: ` +
        "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
  }
  if (name === "ca" || name === "server") {
    throw new PkiError(`Client name "${name}" would overwrite the ${name} files: choose another`);
  }
}

/** A host name of letters, digits and hyphens, dot-separated; the first label may be "*". */
function isDnsName(name: string): boolean {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  if (trimmed.length === 0 || trimmed.length > 253) return false;
  const labels = trimmed.split(".");
  return labels.every((label, i) =>
    DNS_LABEL.test(label) || (i === 0 && label === "*" && labels.length > 2)
  );
}
