/**
 * The keys of the configuration file as the schema itself declares them (src/config/_schema.ts),
 * read by walking the zod definition: their dotted paths, whether each is required, and the
 * default the schema fills in. The reference page, the man page and the examples' tests are built
 * on this list, so a key added to the schema shows up in all three (or fails their tests).
 *
 * @module
 */

import { fileSchema } from "../../src/config/_schema.ts";

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

/** The parts of zod's internal definition the walk reads. */
interface Definition {
  readonly type: string;
  readonly shape?: Record<string, Walkable>;
  readonly in?: Walkable;
  readonly out?: Walkable;
  readonly innerType?: Walkable;
  readonly element?: Walkable;
  readonly defaultValue?: unknown;
}

interface Walkable {
  readonly _zod: { readonly def: Definition };
}

/** Every key of the configuration file, in the schema's order, sections before their keys. */
export function schemaKeys(): SchemaKey[] {
  const keys: SchemaKey[] = [];
  walkObject(fileSchema("/") as unknown as Walkable, "", keys);
  return keys;
}

function walkObject(schema: Walkable, prefix: string, keys: SchemaKey[]): void {
  const shape = schema._zod.def.shape ?? {};
  for (const [name, field] of Object.entries(shape)) {
    const path = prefix + name;
    const { presence, inner } = unwrapPresence(field);
    const mapping = mappingOf(inner);
    if (mapping !== undefined) {
      keys.push({ path, presence: { kind: "optional" }, section: true });
      walkObject(mapping, `${path}.`, keys);
      continue;
    }
    keys.push({ path, presence, section: false });
    const entries = entriesOf(inner);
    if (entries !== undefined) walkObject(entries, `${path}[].`, keys);
  }
}

/** Peels `.default()` and `.optional()`; a list that defaults to empty counts as a default []. */
function unwrapPresence(field: Walkable): { presence: KeyPresence; inner: Walkable } {
  const def = field._zod.def;
  if (def.type === "default" && def.innerType !== undefined) {
    const value = typeof def.defaultValue === "function"
      ? (def.defaultValue as () => unknown)()
      : def.defaultValue;
    return { presence: { kind: "default", value }, inner: def.innerType };
  }
  if (def.type === "optional" && def.innerType !== undefined) {
    return { presence: { kind: "optional" }, inner: def.innerType };
  }
  // z.preprocess(value => value ?? [], z.array(...)): an absent list is an empty one.
  if (def.type === "pipe" && def.in?._zod.def.type === "transform") {
    if (def.out?._zod.def.type === "array") {
      return { presence: { kind: "default", value: [] }, inner: def.out };
    }
  }
  return { presence: { kind: "required" }, inner: field };
}

/** The object schema of a section (`section()` preprocesses an absent one into `{}`). */
function mappingOf(field: Walkable): Walkable | undefined {
  const def = field._zod.def;
  if (def.type === "object") return field;
  if (def.type === "pipe" && def.out?._zod.def.type === "object") return def.out;
  return undefined;
}

/** The object schema of the entries of a list of mappings (`clients:`). */
function entriesOf(field: Walkable): Walkable | undefined {
  const def = field._zod.def;
  if (def.type === "array" && def.element?._zod.def.type === "object") return def.element;
  return undefined;
}
