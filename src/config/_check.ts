/**
 * The small checking toolkit the configuration's keys are built from (_fields.ts, addresses.ts,
 * _peer_fields.ts, _schema.ts): a check takes a value as YAML gave it, returns it converted or
 * {@linkcode INVALID}, and records each problem with its path below the value. The builders
 * write every message themselves; this file only walks mappings and lists, fills in defaults
 * and places the messages. Mappings and lists keep their parts (`shape`, `element`), so the
 * allowed keys at a path can be read back (for did-you-mean and the generated reference).
 *
 * It replaces zod, which cost 5.6 MiB of private memory in every tunnel process for what these
 * few combinators do (docs/performance.md, Memory).
 *
 * @module
 */

/** A problem found by a check. */
export interface CheckIssue {
  /** Keys and list indexes from the checked value down to the problem; empty for the value. */
  readonly path: readonly PropertyKey[];
  /** What is wrong, one line (unused when `unknownKeys` is set). */
  readonly message: string;
  /** Set when a mapping holds keys it does not allow: those keys, in the file's order. */
  readonly unknownKeys?: readonly string[];
}

/** What a check returns for a value it refused (its problems are in the issues). */
export const INVALID: unique symbol = Symbol("invalid");
export type Checked<T> = T | typeof INVALID;

/** The outcome of {@linkcode Check.parse}. */
export type ParseOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly CheckIssue[] };

/** Checks a value and converts it to `T`. */
export abstract class Check<T> {
  /** The type the check converts to, for {@linkcode Output} (types only: never set). */
  declare readonly output: T;

  /** Checks `value`: the result, or INVALID with at least one problem added to `issues`. */
  abstract run(value: unknown, issues: CheckIssue[]): Checked<T>;

  parse(value: unknown): ParseOutcome<T> {
    const issues: CheckIssue[] = [];
    const result = this.run(value, issues);
    return result === INVALID || issues.length > 0
      ? { ok: false, issues }
      : { ok: true, value: result };
  }

  /** An absent value (undefined) is accepted as absent. */
  optional(): Optional<T> {
    return new Optional(this);
  }

  /** An absent value (undefined) becomes `value` (a copy of it, when a list or mapping). */
  default(value: T): Default<T> {
    return new Default(this, value);
  }

  /** Once this check accepted a value, `refine` checks it further or converts it. */
  then<U>(refine: (value: T, issues: CheckIssue[]) => Checked<U>): Then<T, U> {
    return new Then(this, refine);
  }
}

/** The type a check converts to. */
export type Output<C> = C extends { readonly output: infer T } ? T : never;

/** A check written as one function. */
export class Leaf<T> extends Check<T> {
  constructor(readonly check: (value: unknown, issues: CheckIssue[]) => Checked<T>) {
    super();
  }

  run(value: unknown, issues: CheckIssue[]): Checked<T> {
    return this.check(value, issues);
  }
}

/** A check of a value of one kind, refused with `refuse(value)`'s message otherwise. */
export function kind<T>(
  accepts: (value: unknown) => value is T,
  refuse: (value: unknown) => string,
): Leaf<T> {
  return new Leaf((value, issues) => {
    if (accepts(value)) return value;
    issues.push({ path: [], message: refuse(value) });
    return INVALID;
  });
}

export class Optional<T> extends Check<T | undefined> {
  constructor(readonly inner: Check<T>) {
    super();
  }

  run(value: unknown, issues: CheckIssue[]): Checked<T | undefined> {
    return value === undefined ? undefined : this.inner.run(value, issues);
  }
}

export class Default<T> extends Check<T> {
  constructor(readonly inner: Check<T>, readonly value: T) {
    super();
  }

  run(value: unknown, issues: CheckIssue[]): Checked<T> {
    if (value !== undefined) return this.inner.run(value, issues);
    const fallback: unknown = this.value;
    if (Array.isArray(fallback)) return [...fallback] as T;
    if (typeof fallback === "object" && fallback !== null) return { ...fallback } as T;
    return this.value;
  }
}

export class Then<T, U> extends Check<U> {
  constructor(
    readonly inner: Check<T>,
    readonly refine: (value: T, issues: CheckIssue[]) => Checked<U>,
  ) {
    super();
  }

  run(value: unknown, issues: CheckIssue[]): Checked<U> {
    const checked = this.inner.run(value, issues);
    return checked === INVALID ? INVALID : this.refine(checked, issues);
  }
}

/** What a mapping needs of the check of one of its keys (any {@linkcode Check}). */
export interface KeyCheck {
  readonly output: unknown;
  run(value: unknown, issues: CheckIssue[]): unknown;
}

/** The keys of a mapping and their checks. */
export type Shape = Readonly<Record<string, KeyCheck>>;

type OptionalKeys<S extends Shape> = {
  [K in keyof S]: undefined extends Output<S[K]> ? K : never;
}[keyof S];

/** A mapping's type: keys whose check may give undefined are optional (and left out then). */
export type MappingOutput<S extends Shape> =
  & { [K in Exclude<keyof S, OptionalKeys<S>>]: Output<S[K]> }
  & { [K in OptionalKeys<S>]?: Exclude<Output<S[K]>, undefined> };

/** Adds `issues` found at `key` (or list index) of a value to `into`. */
export function prefixIssues(
  key: PropertyKey,
  issues: readonly CheckIssue[],
  into: CheckIssue[],
): void {
  for (const issue of issues) into.push({ ...issue, path: [key, ...issue.path] });
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A mapping with the keys of `shape`, each checked in the shape's order; then one issue naming
 * the keys it does not allow, if any. Anything but a mapping is refused with `refuse(value)`.
 * With `absentIsEmpty`, an absent or empty value (a key with nothing under it) is an empty
 * mapping: every key takes its default.
 */
export class Mapping<S extends Shape> extends Check<MappingOutput<S>> {
  constructor(
    readonly shape: S,
    readonly refuse: (value: unknown) => string,
    readonly absentIsEmpty = false,
  ) {
    super();
  }

  run(input: unknown, issues: CheckIssue[]): Checked<MappingOutput<S>> {
    const value = this.absentIsEmpty ? input ?? {} : input;
    if (!isMapping(value)) {
      issues.push({ path: [], message: this.refuse(value) });
      return INVALID;
    }
    const output: Record<string, unknown> = {};
    let failed = false;
    for (const [key, check] of Object.entries(this.shape)) {
      const found: CheckIssue[] = [];
      const field = check.run(Object.hasOwn(value, key) ? value[key] : undefined, found);
      prefixIssues(key, found, issues);
      if (field === INVALID || found.length > 0) failed = true;
      else if (field !== undefined) output[key] = field;
    }
    const unknownKeys = Object.keys(value).filter((key) => !Object.hasOwn(this.shape, key));
    if (unknownKeys.length > 0) {
      issues.push({ path: [], message: "unknown keys", unknownKeys });
      failed = true;
    }
    return failed ? INVALID : output as MappingOutput<S>;
  }
}

/** Bounds of a {@linkcode List} and what is said when they are broken. */
export interface ListBounds {
  readonly min?: { readonly count: number; readonly message: string };
  readonly max?: { readonly count: number; readonly message: (length: number) => string };
}

/**
 * A list of values of `element`. Anything but a list is refused with `refuse(value)`, a list
 * longer than the bound with its message alone; else each entry is checked (its problems placed
 * at its index), then the lower bound. With `absentIsEmpty`, an
 * absent or empty value is an empty list.
 */
export class List<T> extends Check<T[]> {
  constructor(
    readonly element: Check<T>,
    readonly refuse: (value: unknown) => string,
    readonly bounds: ListBounds = {},
    readonly absentIsEmpty = false,
  ) {
    super();
  }

  run(input: unknown, issues: CheckIssue[]): Checked<T[]> {
    const value = this.absentIsEmpty ? input ?? [] : input;
    if (!Array.isArray(value)) {
      issues.push({ path: [], message: this.refuse(value) });
      return INVALID;
    }
    const { min, max } = this.bounds;
    // A list over its bound is refused as a whole, its entries unread.
    if (max !== undefined && value.length > max.count) {
      issues.push({ path: [], message: max.message(value.length) });
      return INVALID;
    }
    const output: T[] = [];
    let failed = false;
    for (const [index, item] of value.entries()) {
      const found: CheckIssue[] = [];
      const entry = this.element.run(item, found);
      prefixIssues(index, found, issues);
      if (entry === INVALID || found.length > 0) failed = true;
      else output.push(entry);
    }
    if (min !== undefined && value.length < min.count) {
      issues.push({ path: [], message: min.message });
      failed = true;
    }
    return failed ? INVALID : output;
  }
}

/** Looks through optional, default and refining layers to the check that holds the parts. */
export function unwrapCheck(check: unknown): unknown {
  let node = check;
  while (node instanceof Optional || node instanceof Default || node instanceof Then) {
    node = node.inner;
  }
  return node;
}
