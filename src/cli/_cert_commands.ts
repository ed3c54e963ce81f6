/**
 * The certificate lifecycle commands of the command line: `--renew`, `--list-certs`,
 * `--revoke-cert` / `--revoke-serial` and `--refresh-crl`.
 *
 * @module
 */

import type { CrlOptions, RevokeOptions } from "../pki/revoke.ts";
import type { RenewOptions } from "../pki/renew.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./errors.ts";
import type { CommandKind, FlagName } from "./_flags.ts";

/** A flag as given: its name and value. */
interface Given {
  readonly name: FlagName;
  readonly value: string | undefined;
}

/** The command-selecting flag of each lifecycle command. */
export const CERT_COMMAND_FLAGS: readonly (readonly [FlagName, CertCommandKind])[] = [
  ["renew", "renew"],
  ["list-certs", "list-certs"],
  ["revoke-cert", "revoke-cert"],
  ["revoke-serial", "revoke-cert"],
  ["refresh-crl", "refresh-crl"],
];

export type CertCommandKind = Extract<
  CommandKind,
  "renew" | "list-certs" | "revoke-cert" | "refresh-crl"
>;

/** The lifecycle command `kind` with its options from `flags`. */
export function certCommand(kind: CertCommandKind, flags: readonly Given[]): Command {
  const value = (name: FlagName) => flags.find((flag) => flag.name === name)?.value;
  const certDir = value("cert-dir");
  if (certDir === undefined || certDir === "") {
    const spelled = kind === "revoke-cert" && value("revoke-cert") === undefined
      ? "--revoke-serial"
      : `--${kind}`;
    throw new UsageError(`${spelled} needs --cert-dir DIR`);
  }
  switch (kind) {
    case "renew": {
      const days = value("days");
      const options: RenewOptions = {
        certDir,
        name: value("renew") ?? "",
        ...(days === undefined ? {} : { days: wholeNumber("--days", days, 3650) }),
      };
      return { kind, options };
    }
    case "list-certs":
      return { kind, certDir };
    case "revoke-cert": {
      const name = value("revoke-cert");
      const serial = value("revoke-serial");
      if (name !== undefined && serial !== undefined) {
        throw new UsageError("give --revoke-cert NAME or --revoke-serial HEX, not both");
      }
      const options: RevokeOptions = {
        certDir,
        ...(name === undefined ? {} : { name }),
        ...(serial === undefined ? {} : { serial }),
        ...crlDays(value("crl-days")),
      };
      return { kind, options };
    }
    case "refresh-crl": {
      const options: CrlOptions = { certDir, ...crlDays(value("crl-days")) };
      return { kind, options };
    }
  }
}

function crlDays(text: string | undefined): { crlDays?: number } {
  return text === undefined ? {} : { crlDays: wholeNumber("--crl-days", text, 365) };
}

function wholeNumber(flag: string, text: string, max: number): number {
  const count = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(count) || count < 1 || count > max) {
    throw new UsageError(
      `${flag} "${text}" is not allowed; expected a whole number of days from 1 to ${max}`,
    );
  }
  return count;
}
