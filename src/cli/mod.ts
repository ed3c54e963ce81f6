/**
 * The command line: parse the arguments into a {@linkcode Command}, and the help text.
 *
 * @module
 */

export { parseCommandLine } from "./args.ts";
export { usageText } from "./usage.ts";
export { UsageError } from "./errors.ts";
export type { Command } from "./command.ts";
