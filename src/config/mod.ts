/**
 * The SSSonector configuration file: load, validate and default the YAML into a frozen
 * {@linkcode Config}, and write it back for `--check-config`.
 *
 * @module
 */

export { loadConfig } from "./load.ts";
export { parseConfig } from "./parse.ts";
export { formatEffectiveConfig } from "./format.ts";
export { ConfigError } from "./errors.ts";
export type { ConfigProblem } from "./errors.ts";
export type * from "./types.ts";
