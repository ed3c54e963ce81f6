/**
 * Reads a configuration file and checks the files it names.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import type { ConfigProblem } from "./errors.ts";
import { parseSource } from "./parse.ts";
import { problemAt } from "./_issues.ts";
import type { Config } from "./types.ts";

/**
 * Reads, parses and validates the configuration file at `path`, then checks that the
 * certificate, key and CA files it names can be read.
 *
 * @param path The configuration file, as the user named it (used in messages).
 * @returns The configuration with every default filled in, deeply frozen.
 * @throws {ConfigError} listing every problem: unreadable file, invalid keys or values, missing
 * or unreadable certificate files.
 */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(path, [{
      path: "",
      message: `cannot read the configuration file: ${reason(error)}`,
    }]);
  }
  const { config, source } = parseSource(text, path);
  const tls = config.security.tls;
  const files = [
    ["cert_file", tls.certFile],
    ["key_file", tls.keyFile],
    ["ca_file", tls.caFile],
  ] as const;
  const problems: ConfigProblem[] = [];
  for (const [key, file] of files) {
    const problem = await checkReadable(file);
    if (problem !== undefined) {
      problems.push(problemAt(["security", "tls", key], `cannot read ${file}: ${problem}`, source));
    }
  }
  if (problems.length > 0) throw new ConfigError(path, problems);
  return config;
}

/** Why `file` cannot be read as a regular, non-empty file, or undefined when it can. */
async function checkReadable(file: string): Promise<string | undefined> {
  try {
    const info = await Deno.stat(file);
    if (info.isDirectory) return "it is a folder, not a file";
    if (!info.isFile) return "it is not a regular file";
    if (info.size === 0) return "the file is empty";
    using _handle = await Deno.open(file, { read: true });
    return undefined;
  } catch (error) {
    return reason(error);
  }
}

function reason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "not found";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) return "not allowed by Deno's permissions";
  if (error instanceof Deno.errors.IsADirectory) return "it is a folder, not a file";
  if (error instanceof Deno.errors.InvalidData) return "it is not UTF-8 text";
  return error instanceof Error ? error.message : String(error);
}
