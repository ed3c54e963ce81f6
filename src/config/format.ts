/**
 * Writes a configuration back as YAML, for `sssonector --check-config`.
 *
 * @module
 */

import { Document } from "yaml";
import { formatEndpoint, formatInterfaceAddress } from "./net.ts";
import type { Config, Endpoint, InterfaceAddress } from "./types.ts";

/** Values that are structured in `Config` but written as one string in the file, by key path. */
const ENCODERS: Readonly<Record<string, (value: never) => unknown>> = {
  listen: (value: Endpoint) => formatEndpoint(value),
  server: (value: Endpoint) => formatEndpoint(value),
  address: (value: InterfaceAddress) => formatInterfaceAddress(value),
};

/**
 * The configuration as YAML with the key names of the file (`min_version`, `cert_file`...),
 * every default written out and paths absolute. Parsing the result gives an equal `Config`.
 */
export function formatEffectiveConfig(config: Config): string {
  const { sourcePath, ...fields } = config;
  const file = {
    ...fields,
    logging: { ...config.logging, file: config.logging.file ?? "stdout" },
  };
  const doc = new Document(toFileShape(file, []));
  doc.commentBefore = ` Effective configuration of ${sourcePath}, defaults filled in`;
  return doc.toString({ lineWidth: 0 });
}

function toFileShape(value: unknown, path: readonly string[]): unknown {
  const encode = ENCODERS[path.join(".")];
  if (encode !== undefined) return encode(value as never);
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .map(([name, field]) => [snakeCase(name), toFileShape(field, [...path, name])]),
  );
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
