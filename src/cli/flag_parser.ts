/**
 * The Go-style flag parsing shared by the product's command line (args.ts) and the development
 * tools' (tools/cli.ts): `-name`, `--name` and `--name=value` are the same, `-h`-style one-letter
 * aliases, and one table of flags read by the parser and the help text, so the two never drift.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { didYouMean } from "../config/suggest.ts";
import { UsageError } from "./errors.ts";

/** One flag of a table; `Kind` names the commands of that command line. */
export interface FlagSpec<Kind extends string = string> {
  readonly type: "string" | "boolean";
  /** One-letter alias, e.g. `h` for `-h`. */
  readonly short?: string;
  /** Placeholder for the value in the help text, e.g. `FILE`. */
  readonly value?: string;
  /** May be given more than once. */
  readonly multiple?: boolean;
  /** The commands this flag is used with; empty means every command. */
  readonly commands: readonly Kind[];
  readonly description: string;
}

/** A flag as the user typed it, with its value. */
export interface GivenFlag<Name extends string = string> {
  readonly name: Name;
  /** As typed, without `=value`: `-config`, `--config`, `-h`. */
  readonly spelling: string;
  readonly value: string | undefined;
}

/** Whether `name` is a flag of `table`. */
export function isFlagIn<Name extends string>(
  table: Readonly<Record<Name, FlagSpec>>,
  name: string,
): name is Name {
  return Object.hasOwn(table, name);
}

/**
 * Splits the arguments into known flags with values and bare words, refusing anything else.
 *
 * @throws {UsageError} for an unknown flag (with a did-you-mean), a missing or unwanted value, or
 * a flag given twice that is not `multiple`.
 */
export function tokenizeFlags<Name extends string>(
  argv: readonly string[],
  table: Readonly<Record<Name, FlagSpec>>,
): { flags: GivenFlag<Name>[]; words: string[] } {
  const { tokens } = parseArgs({
    args: normalizeDashes(argv, table),
    options: table,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags: GivenFlag<Name>[] = [];
  const words: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") words.push(token.value);
    if (token.kind !== "option") continue;
    const typed = (argv[token.index] ?? token.rawName).split("=")[0] ?? token.rawName;
    const spelling = token.rawName.startsWith("--") ? typed : token.rawName;
    const dashes = spelling.startsWith("--") ? "--" : "-";
    const name = token.name;
    if (!isFlagIn(table, name)) {
      const longNames = Object.keys(table).map((known) => `${dashes}${known}`);
      throw new UsageError(`unknown flag "${spelling}"${didYouMean(spelling, longNames)}`);
    }
    const spec: FlagSpec = table[name];
    if (spec.type === "boolean" && token.value !== undefined) {
      throw new UsageError(`${spelling} takes no value, got "${spelling}=${token.value}"`);
    }
    const missing = token.value === undefined || token.value === "" ||
      (!token.inlineValue && looksLikeFlag(token.value, table));
    if (spec.type === "string" && missing) {
      throw new UsageError(`${spelling} needs a value: ${spelling} ${spec.value}`);
    }
    if (!spec.multiple && flags.some((flag) => flag.name === name)) {
      throw new UsageError(`${spelling} is given more than once`);
    }
    flags.push({ name, spelling, value: token.value });
  }
  return { flags, words };
}

/**
 * Refuses a flag that belongs to other commands than `kind`, naming them with `label`, e.g.
 * `--quick is only used with bench`.
 */
export function refuseForeignFlags<Name extends string, Kind extends string>(
  flags: readonly GivenFlag<Name>[],
  table: Readonly<Record<Name, FlagSpec<Kind>>>,
  kind: Kind,
  label: (kind: Kind) => string,
): void {
  for (const flag of flags) {
    const owners: readonly Kind[] = table[flag.name].commands;
    if (owners.length > 0 && !owners.includes(kind)) {
      throw new UsageError(`${flag.spelling} is only used with ${owners.map(label).join(" or ")}`);
    }
  }
}

/** The help text's flag lines: `  -h, --help      show this help`, aligned. */
export function flagLines(table: Readonly<Record<string, FlagSpec>>): string[] {
  return alignedRows(
    Object.entries(table).map(([name, spec]) => {
      const short = spec.short === undefined ? "" : `-${spec.short}, `;
      const value = spec.value === undefined ? "" : ` ${spec.value}`;
      return [`${short}--${name}${value}`, spec.description] as const;
    }),
  );
}

/** Two columns, the left padded to its widest entry, indented by two spaces. */
export function alignedRows(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

function looksLikeFlag(value: string, table: Readonly<Record<string, FlagSpec>>): boolean {
  const name = value.replace(/^--?/, "").split("=")[0] ?? "";
  return value.startsWith("-") && isFlagIn(table, name);
}

/**
 * `-name` becomes `--name` so that parseArgs reads it as a long flag; one-letter flags (`-h`)
 * stay, and so do values, e.g. a `-x` after `--config`, and everything after `--`.
 */
function normalizeDashes(
  argv: readonly string[],
  table: Readonly<Record<string, FlagSpec>>,
): string[] {
  const result: string[] = [];
  let takesValue = false;
  let ended = false;
  for (const arg of argv) {
    if (ended || takesValue) {
      result.push(arg);
      takesValue = false;
      continue;
    }
    if (arg === "--") ended = true;
    const long = /^-[^-]./.test(arg) ? `-${arg}` : arg;
    const short = /^-([^-])$/.exec(arg)?.[1];
    const name = short === undefined
      ? /^--([^=]+)$/.exec(long)?.[1] ?? ""
      : Object.keys(table).find((key) => table[key]?.short === short) ?? "";
    takesValue = isFlagIn(table, name) && table[name]?.type === "string";
    result.push(long);
  }
  return result;
}
