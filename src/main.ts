/**
 * SSSonector entry point: reads the arguments and runs the command (the tunnel itself in
 * run_tunnel.ts); with run_tunnel.ts the only module that handles signals, prints and exits.
 * Exit codes: 0 success, 2 usage or configuration error, 1 runtime failure.
 */
import { parseCommandLine, UsageError } from "./cli/args.ts";
import type { Command } from "./cli/command.ts";
import { readStatus } from "./cli/status_client.ts";
import { formatStatus } from "./cli/status_format.ts";
import { usageText } from "./cli/usage.ts";
import { formatEffectiveConfig } from "./config/format.ts";
import { generateCertificates } from "./pki/generate.ts";
import { PkiError } from "./pki/errors.ts";
import { formatCertificateListing, listCertificates } from "./pki/list.ts";
import { renewCertificate } from "./pki/renew.ts";
import { describeCrl, refreshRevocationList, revokeCertificate } from "./pki/revoke.ts";
import { formatDate } from "./pki/x509.ts";
import { versionLine } from "./base/version.ts";
import { errorMessage } from "./base/error_message.ts";
import { runUserReadWarnings } from "./privilege/file_access.ts";
import {
  EXIT_OK,
  EXIT_RUNTIME,
  EXIT_USAGE,
  fail,
  loadChecked,
  loadFile,
  runTunnel,
} from "./run_tunnel.ts";

async function execute(command: Command): Promise<number> {
  switch (command.kind) {
    case "help":
      console.log(usageText());
      return EXIT_OK;
    case "usage":
      console.error(usageText());
      return EXIT_USAGE;
    case "version":
      console.log(versionLine());
      return EXIT_OK;
    case "check-config": {
      const checked = await loadChecked(command.configPath, command);
      if (!checked) return EXIT_USAGE;
      console.log(formatEffectiveConfig(checked.config).trimEnd());
      // Files the run user could not read again on SIGHUP: fine today, a failed reload later.
      const { security } = checked.config;
      for (const warning of await runUserReadWarnings(security, Deno.uid() ?? -1)) {
        console.error(`sssonector: warning: ${checked.config.sourcePath}: ${warning}`);
      }
      return EXIT_OK;
    }
    case "generate-certs": {
      const result = await generateCertificates(command.options);
      for (const file of result.written) console.log(`wrote ${file}`);
      if (result.caReused) console.log(`issued from the existing CA ${result.caCertFile}`);
      if (result.caReplaced) {
        const stale = result.staleCertificates.length === 0
          ? ""
          : ` (still in the folder: ${result.staleCertificates.join(", ")})`;
        console.error(
          `sssonector: warning: a new CA replaced ${result.caCertFile}: every certificate the ` +
            `old CA issued stops working${stale}; re-issue them and copy the new ca.crt to ` +
            "every host",
        );
      }
      return EXIT_OK;
    }
    case "renew": {
      const result = await renewCertificate(command.options);
      const dir = command.options.certDir;
      console.log(`wrote ${result.keyFile}\nwrote ${result.certFile}`);
      console.log(
        `renewed ${result.subject} (${result.keyType}${
          result.sans.length === 0 ? "" : `, ${result.sans.join(", ")}`
        }): serial ${result.oldSerialHex} -> ${result.serialHex}, expires ${
          formatDate(result.notAfter)
        }`,
      );
      console.log(
        `the old certificate stays valid until ${formatDate(result.oldNotAfter)}; to end it ` +
          `sooner: sssonector --revoke-serial ${result.oldSerialHex} --cert-dir ${dir}`,
      );
      return EXIT_OK;
    }
    case "list-certs":
      console.log(formatCertificateListing(await listCertificates(command.certDir)));
      return EXIT_OK;
    case "revoke-cert": {
      const result = await revokeCertificate(command.options);
      const what = `serial ${result.serialHex}${result.subject ? ` (${result.subject})` : ""}`;
      if (result.alreadyRevokedAt !== undefined) {
        console.log(`${what} is already revoked, since ${formatDate(result.alreadyRevokedAt)}`);
        console.log(`unchanged: ${describeCrl(result.crl)}`);
        return EXIT_OK;
      }
      console.log(`revoked ${what}`);
      console.log(`wrote ${describeCrl(result.crl)}`);
      console.log(
        "copy it to every host whose security.tls.crl_file names it; SIGHUP reloads it",
      );
      return EXIT_OK;
    }
    case "refresh-crl":
      console.log(`wrote ${describeCrl(await refreshRevocationList(command.options))}`);
      return EXIT_OK;
    case "run":
      return await runTunnel(command.configPath, command);
    case "status": {
      const config = await loadFile(command.configPath, {});
      if (config === undefined) return EXIT_USAGE;
      const result = await readStatus(config);
      if (!result.ok) {
        fail(result.message);
        return EXIT_RUNTIME;
      }
      console.log(command.json ? result.json : formatStatus(result.report, Date.now()));
      return EXIT_OK;
    }
  }
}

/** SSSONECTOR_DEBUG is set; false also once env access was revoked after setup. */
function debugRequested(): boolean {
  try {
    return Boolean(Deno.env.get("SSSONECTOR_DEBUG"));
  } catch {
    return false;
  }
}

async function main(argv: string[]): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      fail(`${error.message}\nRun 'sssonector --help' for usage.`);
      return EXIT_USAGE;
    }
    throw error;
  }
  try {
    return await execute(command);
  } catch (error) {
    if (error instanceof PkiError) {
      fail(error.message);
      return EXIT_USAGE;
    }
    const message = errorMessage(error);
    fail(message);
    if (debugRequested()) console.error(error);
    return EXIT_RUNTIME;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
