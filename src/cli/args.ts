/**
 * Turns the command line into a {@linkcode Command}.
 *
 * Flags follow the Go style of the original tool: `-config FILE`, `--config FILE` and
 * `--config=FILE` are the same. `-h`, `-v` and `-c` (config) are the only one-letter flags.
 *
 * @module
 */

import { isDnsName, isIPAddress } from "../config/endpoint.ts";
import { didYouMean } from "../config/suggest.ts";
import { type GenerateCertsOptions, KEY_TYPES, type KeyType } from "../pki/types.ts";
import type { Command, RunOptions } from "./command.ts";
import { UsageError } from "./errors.ts";
export { UsageError } from "./errors.ts";
import { DEVELOPMENT_TOOLS, FLAGS, isFlagName } from "./_flags.ts";
import { CERT_COMMAND_FLAGS, certCommand } from "./_cert_commands.ts";
import type { CommandKind, FlagName } from "./_flags.ts";
import { type GivenFlag, refuseForeignFlags, tokenizeFlags } from "./flag_parser.ts";

/** Where `sssonector status` looks without `-c FILE`: the file the shipped unit runs. */
export const DEFAULT_CONFIG_PATH = "/etc/sssonector/sssonector.yaml";

/** Client names that would overwrite the CA's or the server's files. */
const RESERVED_CLIENT_NAMES = new Set(["ca", "server"]);

/**
 * Parses the arguments after the program name.
 *
 * @param argv e.g. `["-config", "server.yaml"]`
 * @throws {UsageError} with one line naming the unknown, misplaced or malformed argument.
 */
export function parseCommandLine(argv: readonly string[]): Command {
  const { flags, words } = tokenizeFlags(argv, FLAGS);
  const has = (name: FlagName) => flags.some((flag) => flag.name === name);
  if (has("help")) return { kind: "help" };
  if (has("version")) return { kind: "version" };

  const kind = chooseCommand(flags, words);
  // Nothing asked at all: the usage, as an error (exit 2), like other command-line tools.
  if (kind === "help") return { kind: "usage" };
  refuseForeignFlags(flags, FLAGS, kind, label);
  const value = (name: FlagName) => flags.find((flag) => flag.name === name)?.value;
  switch (kind) {
    case "run":
    case "check-config": {
      const configPath = value("config");
      if (configPath === undefined) throw new UsageError(`--check-config needs -config FILE`);
      return { kind, configPath, ...runOptions(flags) };
    }
    case "status":
      return {
        kind,
        configPath: value("config") ?? DEFAULT_CONFIG_PATH,
        json: has("json"),
      };
    case "generate-certs":
      return { kind, options: certOptions(flags) };
    case "renew":
    case "list-certs":
    case "revoke-cert":
    case "refresh-crl":
      return certCommand(kind, flags);
    case "version":
      return { kind };
  }
}

/** How a command is named in messages. */
function label(kind: CommandKind): string {
  switch (kind) {
    case "run":
      return "-config FILE";
    case "check-config":
    case "generate-certs":
    case "list-certs":
    case "refresh-crl":
      return `--${kind}`;
    case "status":
      return "status";
    case "renew":
    case "revoke-cert":
      return `--${kind} NAME`;
    default:
      return kind;
  }
}

/** Which command the flags and words ask for; exactly one may be asked. */
function chooseCommand(
  flags: readonly GivenFlag<FlagName>[],
  words: readonly string[],
): CommandKind {
  const asked: CommandKind[] = [];
  if (flags.some((flag) => flag.name === "check-config")) asked.push("check-config");
  if (flags.some((flag) => flag.name === "generate-certs")) asked.push("generate-certs");
  for (const [name, kind] of CERT_COMMAND_FLAGS) {
    if (flags.some((flag) => flag.name === name) && !asked.includes(kind)) asked.push(kind);
  }
  const [word] = words;
  if (word === "status" && words.length === 1 && asked.length === 0) return "status";
  if (word !== undefined) {
    const running = flags.some((flag) => flag.name === "config");
    throw unexpectedWord(word, asked.length === 0 && !running);
  }
  if (asked.length > 1) {
    throw new UsageError(`choose one command: ${asked.map(label).join(" and ")} were both given`);
  }
  if (asked[0] !== undefined) return asked[0];
  if (flags.some((flag) => flag.name === "config")) return "run";
  const first = flags[0];
  if (first !== undefined) {
    const owners: readonly CommandKind[] = FLAGS[first.name].commands;
    throw new UsageError(`${first.spelling} is only used with ${owners.map(label).join(" or ")}`);
  }
  return "help";
}

function unexpectedWord(word: string, mayBeCommand: boolean): UsageError {
  const asFlag = word.replace(/^-*/, "");
  if (isFlagName(asFlag)) {
    return new UsageError(`unexpected argument "${word}" (did you mean "--${asFlag}"?)`);
  }
  if (mayBeCommand && DEVELOPMENT_TOOLS.some((tool) => tool === word)) {
    return new UsageError(
      `unknown command "${word}": ${word} is a development tool, not part of the program; ` +
        `run it from a source checkout: ./sssonector ${word}`,
    );
  }
  if (mayBeCommand) return new UsageError(`unknown command "${word}"`);
  return new UsageError(`unexpected argument "${word}"`);
}

/**
 * The original program's run flags: `--mode` (checked against the file once it is read) and
 * `-debug`; `-background` is refused with what to use instead.
 */
function runOptions(flags: readonly GivenFlag<FlagName>[]): RunOptions {
  const given = (name: FlagName) => flags.find((flag) => flag.name === name);
  const background = given("background");
  if (background !== undefined) {
    throw new UsageError(
      `${background.spelling} is not supported: sssonector stays in the foreground; run it ` +
        "with the systemd unit (systemctl enable --now sssonector), or from cron with " +
        "configs/sssonector.cron and pid_file: in the configuration for a pid file",
    );
  }
  const mode = given("mode");
  let checkedMode: RunOptions["mode"];
  if (mode !== undefined) {
    const text = mode.value ?? "";
    if (text !== "server" && text !== "client") {
      throw new UsageError(
        `${mode.spelling} "${text}" is not a mode${
          didYouMean(text, ["server", "client"])
        }; expected server or client`,
      );
    }
    checkedMode = text;
  }
  return {
    ...(checkedMode === undefined ? {} : { mode: checkedMode }),
    ...(given("debug") === undefined ? {} : { debug: true as const }),
  };
}

function certOptions(flags: readonly GivenFlag<FlagName>[]): GenerateCertsOptions {
  const value = (name: FlagName) => flags.find((flag) => flag.name === name)?.value;
  const certDir = value("cert-dir");
  if (certDir === undefined || certDir === "") {
    throw new UsageError("--generate-certs needs --cert-dir DIR");
  }
  const serverIp = value("server-ip");
  if (serverIp !== undefined && !isIPAddress(serverIp)) {
    throw new UsageError(`--server-ip "${serverIp}" is not an IPv4 or IPv6 address`);
  }
  const serverNames = flags.filter((flag) => flag.name === "server-name")
    .map((flag) => flag.value ?? "");
  for (const name of serverNames) {
    if (!isDnsName(name)) {
      throw new UsageError(
        `--server-name "${name}" is not a DNS name; expected e.g. vpn.example.com`,
      );
    }
  }
  const clientName = value("client-name") ?? "client";
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(clientName)) {
    throw new UsageError(
      `--client-name "${clientName}" is not allowed; expected 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  }
  if (RESERVED_CLIENT_NAMES.has(clientName.toLowerCase())) {
    throw new UsageError(
      `--client-name "${clientName}" would overwrite the ${clientName.toLowerCase()} files; choose another name`,
    );
  }
  const options: GenerateCertsOptions = {
    certDir,
    serverNames,
    clientName,
    days: days(value("days")),
    keyType: keyType(value("key-type")),
    force: flags.some((flag) => flag.name === "force"),
    ...(flags.some((flag) => flag.name === "new-ca") ? { newCa: true } : {}),
  };
  return serverIp === undefined ? options : { ...options, serverIp };
}

function days(text: string | undefined): number {
  if (text === undefined) return 365;
  const count = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new UsageError(
      `--days "${text}" is not allowed; expected a whole number of days, 1 or more`,
    );
  }
  return count;
}

function keyType(text: string | undefined): KeyType {
  if (text === undefined) return "ecdsa-p256";
  const match = KEY_TYPES.find((candidate) => candidate === text);
  if (match !== undefined) return match;
  throw new UsageError(
    `--key-type "${text}" is not a key type${
      didYouMean(text, KEY_TYPES)
    }; expected ecdsa-p256, rsa-2048 or rsa-4096`,
  );
}
