/**
 * The command line as the program itself defines it: the flags from the flag table that the
 * parser reads (src/cli/_flags.ts), the commands and exit codes from the `--help` text
 * (src/cli/usage.ts). The CLI reference and the man page are rendered from this, never typed.
 *
 * @module
 */

import { FLAGS } from "../../src/cli/_flags.ts";
import type { FlagSpec } from "../../src/cli/flag_parser.ts";
import { usageText } from "../../src/cli/usage.ts";

/** One flag of the table. */
export interface Flag {
  readonly name: string;
  readonly spec: FlagSpec;
}

/** One way to run the program: its synopsis lines and what it does. */
export interface Usage {
  readonly synopsis: readonly string[];
  readonly description: string;
}

export interface CommandLine {
  readonly usages: readonly Usage[];
  readonly flags: readonly Flag[];
  readonly exitCodes: readonly (readonly [string, string])[];
}

/** Every flag, command and exit code of the program. */
export function commandLine(): CommandLine {
  const flags = Object.entries(FLAGS as Record<string, FlagSpec>)
    .map(([name, spec]) => ({ name, spec }));
  return { ...readUsageText(usageText()), flags };
}

/** `-h, --help` or `--config FILE`. */
export function flagSpelling({ name, spec }: Flag): string {
  const short = spec.short === undefined ? "" : `-${spec.short}, `;
  const value = spec.value === undefined ? "" : ` ${spec.value}`;
  return `${short}--${name}${value}`;
}

/**
 * The "Usage:" and "Exit codes:" sections of the help text: each usage is one or more synopsis
 * lines (indented by 2; a line of `[--optional]` flags continues the one before) followed by its
 * description (indented by 6); each exit code a line of its number and meaning.
 *
 * @throws {Error} when the help text no longer has these sections.
 */
export function readUsageText(text: string): Omit<CommandLine, "flags"> {
  const lines = text.split("\n");
  const section = (title: string) => {
    const start = lines.indexOf(title);
    if (start < 0) throw new Error(`the help text has no "${title}" section`);
    const end = lines.findIndex((line, index) => index > start && line.trim() === "");
    return lines.slice(start + 1, end < 0 ? undefined : end);
  };
  const usages: Usage[] = [];
  let synopsis: string[] = [];
  for (const line of section("Usage:")) {
    if (/^ {6}[^\s[]/.test(line)) {
      usages.push({ synopsis, description: line.trim() });
      synopsis = [];
    } else if (/^\s+\[/.test(line) && synopsis.length > 0) {
      // The optional flags of a long synopsis, wrapped onto the next line.
      synopsis.push(`${synopsis.pop()} ${line.trim()}`);
    } else {
      synopsis.push(line.trim());
    }
  }
  if (usages.length === 0 || synopsis.length > 0) {
    throw new Error("the help text's Usage section is not synopsis lines each with a description");
  }
  const exitCodes = section("Exit codes:").map((line) => {
    const match = /^\s+(\d+)\s+(.+)$/.exec(line);
    if (match === null) throw new Error(`not an exit code line: ${JSON.stringify(line)}`);
    return [match[1]!, match[2]!] as const;
  });
  return { usages, exitCodes };
}
