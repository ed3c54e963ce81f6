/**
 * The keys of the configuration file as the schema itself declares them (src/config/_schema.ts),
 * read by walking its checks (src/config/_check.ts): their dotted paths, whether each is required, and the
 * default the schema fills in. The reference page, the man page and the examples' tests are built
 * on this list, so a key added to the schema shows up in all three (or fails their tests).
 *
 * @module
 */

import { fileSchema } from "../../src/config/_schema.ts";
import { Default, List, Mapping, Optional, type Shape, Then } from "../../src/config/_check.ts";

/** How the schema treats a key that the file leaves out. */
export type KeyPresence =
  /** The file must give it (the schema refuses a file without it). */
  | { readonly kind: "required" }
  /** The schema fills in `value`. */
  | { readonly kind: "default"; readonly value: unknown }
  /** Absent means "none": nothing is filled in. */
  | { readonly kind: "optional" };

/** One key of the file, e.g. `network.mtu` or `clients[].name`. */
export interface SchemaKey {
  /** Dotted path as written in the file; `[]` marks the entries of a list of mappings. */
  readonly path: string;
  readonly presence: KeyPresence;
  /** A mapping of further keys (`network`, `security.tls`), not a value of its own. */
  readonly section: boolean;
}

/** Every key of the configuration file, in the schema's order, sections before their keys. */
export function schemaKeys(): SchemaKey[] {
  const keys: SchemaKey[] = [];
  walkMapping(fileSchema("/"), "", keys);
  return keys;
}

function walkMapping(mapping: { readonly shape: Shape }, prefix: string, keys: SchemaKey[]): void {
  for (const [name, field] of Object.entries(mapping.shape)) {
    const path = prefix + name;
    const { presence, inner } = unwrapPresence(field);
    if (inner instanceof Mapping) {
      keys.push({ path, presence: { kind: "optional" }, section: true });
      walkMapping(inner, `${path}.`, keys);
      continue;
    }
    keys.push({ path, presence, section: false });
    if (inner instanceof List && inner.element instanceof Mapping) {
      walkMapping(inner.element, `${path}[].`, keys);
    }
  }
}

/**
 * Peels `.default()` and `.optional()` (and the refining steps under them); a list that takes an
 * absent value as empty counts as a default [].
 */
function unwrapPresence(field: unknown): { presence: KeyPresence; inner: unknown } {
  let presence: KeyPresence | undefined;
  let node = field;
  for (;;) {
    if (node instanceof Default) presence ??= { kind: "default", value: node.value };
    else if (node instanceof Optional) presence ??= { kind: "optional" };
    else if (!(node instanceof Then)) break;
    node = node.inner;
  }
  if (presence === undefined && node instanceof List && node.absentIsEmpty) {
    presence = { kind: "default", value: [] };
  }
  return { presence: presence ?? { kind: "required" }, inner: node };
}
