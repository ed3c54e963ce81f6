/**
 * The command line: parse the arguments into a {@linkcode Command}, and the help text; and the
 * flag tokenizer that the development tools (tools/cli.ts) parse their own flags with.
 *
 * @module
 */

export { parseCommandLine } from "./args.ts";
export { usageText } from "./usage.ts";
export { UsageError } from "./errors.ts";
export type { Command } from "./command.ts";
export {
  alignedRows,
  flagLines,
  type FlagSpec,
  type GivenFlag,
  isFlagIn,
  refuseForeignFlags,
  tokenizeFlags,
} from "./flag_parser.ts";
