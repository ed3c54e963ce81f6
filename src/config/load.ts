/**
 * Reads a configuration file and checks the files it names.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import type { ConfigProblem } from "./errors.ts";
import { type ParsedSource, parseSource, sortByLine } from "./parse.ts";
import { readYaml, type YamlSource } from "./_yaml.ts";
import { dirname, resolve } from "node:path";
import { problemAt } from "./_issues.ts";
import type { Config } from "./types.ts";
import { describeFileError } from "../base/file_errors.ts";

/**
 * Reads, parses and validates the configuration file at `path`, then checks that the
 * certificate, key, CA and (when named) CRL files it names can be read.
 *
 * @param path The configuration file, as the user named it (used in messages).
 * @returns The configuration with every default filled in, deeply frozen.
 * @throws {ConfigError} listing every problem: unreadable file, invalid keys or values, missing
 * or unreadable certificate files.
 */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    // A configuration is a few hundred bytes: a huge file (or /dev/zero) is refused unread.
    const { size, isFile, isDirectory } = await Deno.stat(path);
    if (isFile && size > MAX_CONFIG_BYTES) {
      throw new ConfigError(path, [{
        path: "",
        message: `the file is ${size} bytes; a configuration file is at most ${MAX_CONFIG_BYTES}`,
      }]);
    }
    if (!isFile) {
      throw new ConfigError(path, [{
        path: "",
        message: `cannot read the configuration file: ${
          isDirectory ? "it is a folder, not a file" : "it is not a regular file"
        }`,
      }]);
    }
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(path, [{
      path: "",
      message: `cannot read the configuration file: ${describeFileError(error)}`,
    }]);
  }
  let parsed: ParsedSource | undefined;
  let invalid: ConfigError | undefined;
  try {
    parsed = parseSource(text, path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    invalid = error;
  }
  // The files are checked even when other keys are wrong, so that one run reports everything.
  const source = parsed?.source ?? readYaml(text);
  if ("problems" in source) throw invalid ?? new ConfigError(path, source.problems);
  const reported = new Set(invalid?.problems.map((problem) => problem.path));
  const problems: ConfigProblem[] = [...(invalid?.problems ?? [])];
  for (const [key, file] of tlsFiles(parsed?.config, source, path)) {
    if (reported.has(`security.tls.${key}`)) continue;
    const problem = await checkReadable(file);
    if (problem !== undefined) {
      problems.push(problemAt(["security", "tls", key], `cannot read ${file}: ${problem}`, source));
    }
  }
  if (problems.length > 0) throw new ConfigError(path, sortByLine(problems));
  return parsed!.config;
}

/** Largest configuration file read; real ones are well under a kilobyte. */
const MAX_CONFIG_BYTES = 1024 * 1024;

const TLS_FILE_KEYS = ["cert_file", "key_file", "ca_file", "crl_file"] as const;

/** The TLS files to check: from the valid config, or the plain strings the raw YAML names. */
function tlsFiles(
  config: Config | undefined,
  source: YamlSource,
  path: string,
): Array<readonly [string, string]> {
  if (config) {
    const tls = config.security.tls;
    return [
      ["cert_file", tls.certFile],
      ["key_file", tls.keyFile],
      ["ca_file", tls.caFile],
      ...(tls.crlFile === undefined ? [] : [["crl_file", tls.crlFile] as const]),
    ];
  }
  const tls = (source.data as { security?: { tls?: Record<string, unknown> } } | null)?.security
    ?.tls;
  const base = dirname(resolve(path));
  return TLS_FILE_KEYS.flatMap((key) => {
    const value = tls?.[key];
    return typeof value === "string" && value !== "" ? [[key, resolve(base, value)] as const] : [];
  });
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
    return describeFileError(error);
  }
}
