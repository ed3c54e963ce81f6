/**
 * The flags of the command line: one table read by the parser (args.ts) and the help text
 * (usage.ts), so the two never drift.
 *
 * @module
 */

import { type FlagSpec, isFlagIn } from "./flag_parser.ts";

/** What the command line can ask for; `Command["kind"]`. */
export type CommandKind =
  | "run"
  | "check-config"
  | "generate-certs"
  | "renew"
  | "list-certs"
  | "revoke-cert"
  | "refresh-crl"
  | "status"
  | "version"
  | "help";

export const FLAGS = {
  "config": {
    type: "string",
    short: "c",
    value: "FILE",
    commands: ["run", "check-config", "status"],
    description: "configuration file (YAML) to run or check (status: default " +
      "/etc/sssonector/sssonector.yaml)",
  },
  "mode": {
    type: "string",
    value: "MODE",
    commands: ["run", "check-config"],
    description: "server or client: checked against the file's mode: (the original's " +
      "--mode; the file decides)",
  },
  "debug": {
    type: "boolean",
    commands: ["run"],
    description: "log at debug level, whatever logging.level says",
  },
  "background": {
    type: "boolean",
    commands: ["run"],
    description: "not supported: the process stays in the foreground (use the systemd unit, " +
      "or cron with pid_file)",
  },
  "json": {
    type: "boolean",
    commands: ["status"],
    description: "status: print the running process's status.json instead of the table",
  },
  "check-config": {
    type: "boolean",
    commands: ["check-config"],
    description: "check the configuration file and print it with every default filled in",
  },
  "generate-certs": {
    type: "boolean",
    commands: ["generate-certs"],
    description: "create the CA, server and client certificates and keys",
  },
  "cert-dir": {
    type: "string",
    value: "DIR",
    commands: ["generate-certs", "renew", "list-certs", "revoke-cert", "refresh-crl"],
    description: "folder of the CA, the certificates and keys (required)",
  },
  "server-ip": {
    type: "string",
    value: "IP",
    commands: ["generate-certs"],
    description: "IP address of the server, put in its certificate (required for a new CA)",
  },
  "server-name": {
    type: "string",
    value: "DNS",
    multiple: true,
    commands: ["generate-certs"],
    description: "DNS name of the server, put in its certificate (repeatable)",
  },
  "client-name": {
    type: "string",
    value: "NAME",
    commands: ["generate-certs"],
    description: "name of the client certificate and its files (default client)",
  },
  "days": {
    type: "string",
    value: "N",
    commands: ["generate-certs", "renew"],
    description: "validity of the server and client certificates in days (default 365; " +
      "--renew: as long as the old one)",
  },
  "key-type": {
    type: "string",
    value: "TYPE",
    commands: ["generate-certs"],
    description: "ecdsa-p256 (default), rsa-2048 or rsa-4096",
  },
  "force": {
    type: "boolean",
    commands: ["generate-certs"],
    description: "overwrite existing server and client certificate and key files (never the CA)",
  },
  "new-ca": {
    type: "boolean",
    commands: ["generate-certs"],
    description: "replace the CA in --cert-dir with a new one: every certificate it issued stops " +
      "working",
  },
  "renew": {
    type: "string",
    value: "NAME",
    commands: ["renew"],
    description: "issue NAME.crt anew (server or a client name): same names, new key and serial",
  },
  "list-certs": {
    type: "boolean",
    commands: ["list-certs"],
    description: "list the certificates in --cert-dir: role, name, serial, expiry, revoked",
  },
  "revoke-cert": {
    type: "string",
    value: "NAME",
    commands: ["revoke-cert"],
    description: "put NAME.crt on the CA's revocation list, --cert-dir/ca.crl",
  },
  "revoke-serial": {
    type: "string",
    value: "HEX",
    commands: ["revoke-cert"],
    description: "revoke by serial number instead (e.g. a certificate --renew replaced)",
  },
  "refresh-crl": {
    type: "boolean",
    commands: ["refresh-crl"],
    description: "re-sign ca.crl with a new nextUpdate (or create an empty one)",
  },
  "crl-days": {
    type: "string",
    value: "N",
    commands: ["revoke-cert", "refresh-crl"],
    description: "days until the CRL's nextUpdate, when it must be refreshed (default 30)",
  },
  "help": {
    type: "boolean",
    short: "h",
    commands: [],
    description: "show this help",
  },
  "version": {
    type: "boolean",
    short: "v",
    commands: [],
    description: "print the version",
  },
} as const satisfies Record<string, FlagSpec<CommandKind>>;

export type FlagName = keyof typeof FLAGS;

export function isFlagName(name: string): name is FlagName {
  return isFlagIn(FLAGS, name);
}

/**
 * Words that were commands of the program before they became development tools of the checkout
 * (tools/main.ts); the parser names where they went instead of a bare "unknown command".
 */
export const DEVELOPMENT_TOOLS = ["demo", "bench"] as const;
