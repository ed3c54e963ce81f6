/**
 * The log line: `2026-11-25T04:10:00.123Z INFO  session: client 10.0.0.2 connected`.
 *
 * @module
 */

import { getTextFormatter, sanitizeControlSequences } from "@logtape/logtape";
import type { LogLevel, TextFormatter } from "@logtape/logtape";

/** The root category of every SSSonector logger; left out of the printed category. */
export const ROOT_CATEGORY = "sssonector";

const LEVEL_LABELS: Readonly<Record<LogLevel, string>> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARN",
  error: "ERROR",
  fatal: "FATAL",
};

/** `["sssonector", "session"]` prints as `session`; other categories print in full. */
function categoryLabel(category: readonly string[]): string {
  const own = category[0] === ROOT_CATEGORY && category.length > 1 ? category.slice(1) : category;
  return own.join(".");
}

/** Escapes line breaks and terminal control sequences, so that a value cannot start a line. */
const ONE_LINE = { newlines: "escape", sgr: "escape" } as const;

/** A value placed in a message: strings bare, errors as `Name: message`, the rest inspected. */
function renderValue(value: unknown): string {
  const text = typeof value === "string"
    ? value
    : value instanceof Error
    ? `${value.name}: ${value.message}`
    : Deno.inspect(value, { breakLength: Infinity, compact: true, colors: false });
  return sanitizeControlSequences(text, ONE_LINE);
}

/**
 * A formatter for one line per record: ISO 8601 UTC timestamp, level padded to five
 * characters, category, message. Strings in the message are written without quotes, errors
 * without their stack; line breaks and control characters are escaped, so a record is always
 * one line.
 */
export function lineFormatter(): TextFormatter {
  return getTextFormatter({
    timestamp: "rfc3339",
    level: (level) => LEVEL_LABELS[level],
    category: categoryLabel,
    value: renderValue,
    sanitize: ONE_LINE,
    format: ({ timestamp, level, category, message }) =>
      `${timestamp} ${level.padEnd(5)} ${category}: ${message}`,
  });
}
