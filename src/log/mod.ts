/**
 * Logging set up from the configuration file, on LogTape.
 *
 * @module
 */

export { getLogger, setupLogging } from "./setup.ts";
export { lineFormatter } from "./format.ts";
export type { Logger } from "@logtape/logtape";
