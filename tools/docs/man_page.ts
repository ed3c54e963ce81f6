/**
 * The man page sssonector(8), in roff, rendered from the same sources as the reference pages:
 * the flag table and `--help` text (cli_model.ts) and the configuration schema with its key texts
 * (config_keys.ts). Committed as docs/reference/sssonector.8; a unit test keeps the file equal to
 * {@linkcode manPage}'s output.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { type CommandLine, commandLine, type Flag } from "./cli_model.ts";
import { configKeyRows, type KeyRow } from "./config_keys.ts";

/** The page, `man -l`-readable roff. */
export function manPage(
  cli: CommandLine = commandLine(),
  keys: readonly KeyRow[] = configKeyRows(),
  version: string = denoJson.version,
): string {
  return [
    `.TH SSSONECTOR 8 "" "sssonector ${version}" "System Administration"`,
    ".SH NAME",
    "sssonector \\- join private networks through a mutually authenticated TLS tunnel",
    ".SH SYNOPSIS",
    ".nf",
    ...cli.usages.flatMap((usage) => usage.synopsis.map((line) => `.B ${escape(line)}`)),
    ".fi",
    ".SH DESCRIPTION",
    paragraph(
      "SSSonector joins the private networks of two or more Linux hosts across the public " +
        "internet through one mutually authenticated TLS connection per client. Each host gets " +
        "a TUN interface (`tun0`); IP packets written to it come out of the peer's `tun0`. One " +
        "YAML file says whether a host is the server or a client; certificates come from the " +
        "tool's own CA.",
    ),
    paragraph(
      "Running needs `CAP_NET_ADMIN` (root) for the TUN device. Once the device is up, the " +
        "port bound, the log file open and the certificates loaded, the process becomes " +
        "`security.user` (default `nobody`), keeps no capability (one thread keeps " +
        "`CAP_NET_ADMIN` when routes come and go with sessions), sets NoNewPrivs and installs a " +
        "seccomp filter on every thread.",
    ),
    ".SH COMMANDS",
    ...cli.usages.flatMap((usage) => [
      ".TP",
      ...usage.synopsis.map((line, index) => `${index === 0 ? "" : ".TQ\n"}.B ${escape(line)}`),
      inline(usage.description),
    ]),
    ".SH OPTIONS",
    paragraph(
      "`-name`, `--name` and `--name=VALUE` are the same. A flag used with a command it does " +
        "not belong to is refused with one line.",
    ),
    ...cli.flags.flatMap(flagItem),
    ".SH CONFIGURATION",
    paragraph(
      "The file given with `-config` is YAML. Relative paths in it resolve against its folder. " +
        "Unknown keys, and keys of the other mode, are refused: every problem is reported at " +
        "once, one line each with the key, its line and what is allowed. " +
        "`--check-config` prints the effective configuration with every default filled in.",
    ),
    ...configSections(keys),
    ".SH SIGNALS",
    ".TP",
    ".B SIGHUP",
    inline(
      "Reload the certificate set (certificate, key, CA, CRL) and reopen the log file. A set " +
        "that fails a check is refused with one warning and the running one stays. Never stops " +
        "the process.",
    ),
    ".TP",
    ".B SIGINT, SIGTERM",
    inline("Stop cleanly: sessions are closed with a reason the peer logs; `tun0` is removed."),
    ".SH EXIT STATUS",
    ...cli.exitCodes.flatMap(([code, meaning]) => [".TP", `.B ${code}`, inline(meaning)]),
    ".SH ENVIRONMENT",
    ".TP",
    ".B SSSONECTOR_TUN_LIB",
    inline("The native shim, `libsssonector_tun.so`; the launcher and the bundle set it."),
    ".TP",
    ".B NOTIFY_SOCKET, WATCHDOG_USEC",
    inline("Set by systemd for `Type=notify` units: readiness, status and watchdog pings."),
    ".SH FILES",
    ".TP",
    ".B /etc/sssonector/sssonector.yaml",
    inline("The configuration the shipped systemd unit runs; certificates beside it."),
    ".TP",
    ".B /var/log/sssonector/",
    inline("The only folder the shipped unit lets the process write, for `logging.file`."),
    ".SH EXAMPLES",
    ".nf",
    "sssonector \\-\\-generate\\-certs \\-\\-cert\\-dir certs \\-\\-server\\-ip 203.0.113.10",
    "sssonector \\-\\-check\\-config \\-config server.yaml",
    "sssonector \\-config server.yaml",
    "sssonector \\-\\-revoke\\-cert web2 \\-\\-cert\\-dir certs && systemctl reload sssonector",
    ".fi",
    ".SH SEE ALSO",
    ".BR systemctl (1),",
    ".BR logrotate (8),",
    ".BR openssl (1),",
    ".BR ip (8)",
    "",
  ].join("\n");
}

function flagItem({ name, spec }: Flag): string[] {
  const short = spec.short === undefined ? "" : `\\fB\\-${spec.short}\\fR, `;
  const value = spec.value === undefined ? "" : ` \\fI${spec.value}\\fR`;
  const commands = spec.commands.length === 0 ? "" : ` (with: ${spec.commands.join(", ")})`;
  return [
    ".TP",
    `${short}\\fB\\-\\-${escape(name)}\\fR${value}`,
    inline(spec.description + commands),
  ];
}

/** The keys grouped by their section, `.SS` each. */
function configSections(keys: readonly KeyRow[]): string[] {
  const sectionOf = (path: string) => {
    const dot = path.lastIndexOf(".");
    return dot < 0 ? "" : path.slice(0, dot);
  };
  const sections = [...new Set(keys.map((key) => sectionOf(key.path)))];
  return sections.flatMap((section) => [
    `.SS ${section === "" ? "Top-level keys" : escape(section)}`,
    ...keys.filter((key) => sectionOf(key.path) === section).flatMap((key) => {
      const leaf = key.path.slice(section === "" ? 0 : section.length + 1);
      const mode = key.mode === "any" ? "" : `; ${key.mode} only`;
      const shown = key.shownDefault.startsWith("required")
        ? inline(key.shownDefault)
        : `default: ${inline(key.shownDefault)}`;
      return [
        ".TP",
        `\\fB${escape(leaf)}\\fR (${shown}${mode})`,
        inline(key.meaning),
      ];
    }),
  ]);
}

/** A filled paragraph. */
function paragraph(text: string): string {
  return `.PP\n${inline(text)}`;
}

/** Markdown-ish text as roff: `code` in bold, roff's special characters escaped. */
function inline(text: string): string {
  const escaped = escape(text).replace(/`([^`]+)`/g, "\\fB$1\\fR");
  // A line starting with a dot or quote would be read as a request.
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

function escape(text: string): string {
  return text.replaceAll("\\", "\\e").replaceAll("-", "\\-");
}
