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

/** A structured field's value as JSON can hold it: errors as `Name: message`, bigints as text. */
function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === "bigint") return value.toString();
  return value;
}

/**
 * A formatter for one JSON object per line: `time` (ISO 8601 UTC), `level` (as in text lines,
 * e.g. `WARN`), `component` (the category without the root), `message` (rendered as in text
 * lines) and every structured field of the record under its own name. A field named like one of
 * the four is kept under `fields` instead, so the four always mean the same.
 */
export function jsonLineFormatter(): TextFormatter {
  return (record) => {
    const message = record.message.map((part, i) => i % 2 === 0 ? String(part) : renderValue(part))
      .join("");
    const fields: Record<string, unknown> = {};
    const clashing: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record.properties)) {
      if (key === "time" || key === "level" || key === "component" || key === "message") {
        clashing[key] = value;
      } else fields[key] = value;
    }
    const line = {
      time: new Date(record.timestamp).toISOString(),
      level: LEVEL_LABELS[record.level],
      component: categoryLabel(record.category),
      message: sanitizeControlSequences(message, ONE_LINE),
      ...fields,
      ...(Object.keys(clashing).length === 0 ? {} : { fields: clashing }),
    };
    try {
      return `${JSON.stringify(line, jsonValue)}\n`;
    } catch {
      // A cycle or another value JSON cannot hold: the line still goes out, without the fields.
      const { time, level, component } = line;
      return `${JSON.stringify({ time, level, component, message: line.message })}\n`;
    }
  };
}
