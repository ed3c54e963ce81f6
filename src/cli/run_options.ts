/**
 * What the original program's run flags mean once the file is read: `--mode` must agree with the
 * file's `mode:` (the file decides), `-debug` lowers the log level to debug.
 *
 * @module
 */

import type { LoggingConfig } from "../config/types.ts";
import type { RunOptions } from "./command.ts";

/** One line when `--mode` disagrees with the file's `mode:`; undefined when it agrees or is absent. */
export function modeProblem(
  options: RunOptions,
  config: { readonly mode: "server" | "client"; readonly sourcePath?: string },
): string | undefined {
  if (options.mode === undefined || options.mode === config.mode) return undefined;
  const where = config.sourcePath === undefined ? "" : `${config.sourcePath}: `;
  return `${where}--mode ${options.mode} was given but the file says mode: ${config.mode}; the ` +
    `file decides the mode: drop --mode or name a ${options.mode}'s file`;
}

/** The logging settings to run with: `-debug` makes the level debug. */
export function withRunOptions<T extends Pick<LoggingConfig, "level">>(
  logging: T,
  options: RunOptions,
): T {
  return options.debug ? { ...logging, level: "debug" } : logging;
}
