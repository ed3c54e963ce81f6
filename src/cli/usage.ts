/**
 * The `--help` text.
 *
 * @module
 */

import { FLAGS } from "./_flags.ts";
import { alignedRows, flagLines } from "./flag_parser.ts";

const COMMANDS: readonly (readonly [string, string])[] = [
  ["sssonector -config FILE", "run the tunnel as server or client, as the file's mode says"],
  ["sssonector --check-config -config FILE", "check the file and print it with defaults filled in"],
  [
    "sssonector status [-c FILE] [--json]",
    "the running tunnel's sessions, rates and certificate, read from its monitoring endpoint",
  ],
  [
    "sssonector --generate-certs --cert-dir DIR --server-ip IP [--server-name DNS]...\n" +
    "           [--client-name NAME] [--days N] [--key-type TYPE] [--force] [--new-ca]",
    "create the certificates (first-time setup, or a new client for an existing CA)",
  ],
  [
    "sssonector --renew NAME --cert-dir DIR [--days N]",
    "issue NAME.crt anew from its CA: same names, new key and serial (then SIGHUP reloads)",
  ],
  ["sssonector --list-certs --cert-dir DIR", "list the certificates and their revocation state"],
  [
    "sssonector --revoke-cert NAME --cert-dir DIR [--crl-days N]\n" +
    "  sssonector --revoke-serial HEX --cert-dir DIR [--crl-days N]",
    "put a certificate on the CA's revocation list DIR/ca.crl",
  ],
  [
    "sssonector --refresh-crl --cert-dir DIR [--crl-days N]",
    "re-sign DIR/ca.crl before its nextUpdate passes (or start an empty one)",
  ],
  ["sssonector --version", "print the version"],
  ["sssonector --help", "show this help"],
];

const EXIT_CODES: readonly (readonly [string, string])[] = [
  ["0", "success"],
  ["1", "runtime failure"],
  ["2", "usage or configuration error"],
];

/** The help text: every command and flag with a one-line description, and the exit codes. */
export function usageText(): string {
  return [
    "SSSonector joins two hosts' TUN devices through a mutually authenticated TLS tunnel.",
    "",
    "Usage:",
    ...COMMANDS.map(([synopsis, description]) => `  ${synopsis}\n      ${description}`),
    "",
    "Flags (-name and --name are the same; --name=VALUE also works):",
    ...flagLines(FLAGS),
    "",
    "Exit codes:",
    ...alignedRows(EXIT_CODES),
    "",
  ].join("\n");
}
