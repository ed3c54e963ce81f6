/**
 * Builders for the kinds of value the configuration file holds (checks of _check.ts). Each
 * builder writes its own one-line messages: the bad value quoted, then what is allowed.
 *
 * @module
 */

import { resolve } from "node:path";
import { type Check, INVALID, kind, Leaf, List, Mapping, type Shape } from "./_check.ts";
import { isIPAddress, parseEndpoint } from "./endpoint.ts";
import type { ParseResult } from "./endpoint.ts";
import { didYouMean } from "./suggest.ts";
import type { TlsVersion } from "./types.ts";

/** How a value from the file is named in messages: strings quoted, others described. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

/** `"a", "b" or "c"` */
export function listChoices(values: readonly string[]): string {
  const quoted = values.map((value) => JSON.stringify(value));
  return quoted.length < 2
    ? quoted.join("")
    : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}

/** The message for a value of the wrong kind, or for a missing or empty one. */
export function refuse(value: unknown, noun: string, allowed: string): string {
  if (value === undefined) return `missing; expected ${allowed}`;
  if (value === null) return `no value given; expected ${allowed}`;
  return `${describeValue(value)} is not ${noun}; expected ${allowed}`;
}

/** A string checked and converted by `convert`, which returns a value or a refusal message. */
export function text<T>(
  noun: string,
  allowed: string,
  convert: (value: string) => ParseResult<T>,
) {
  return kind(isString, (value) => refuse(value, noun, allowed)).then((value, issues) => {
    const result = convert(value);
    if (result.ok) return result.value;
    issues.push({ path: [], message: result.message });
    return INVALID;
  });
}

/** A text value (YAML quoted or plain scalars that are not numbers, booleans or null). */
export function isString(value: unknown): value is string {
  return typeof value === "string";
}

/** A number YAML can give that is not infinite or NaN. */
function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function isStringOrNumber(value: unknown): value is string | number {
  return isString(value) || isFiniteNumber(value);
}

/** A whole number from `min` to `max`. */
export function integer(min: number, max: number) {
  const allowed = `a whole number from ${min} to ${max}`;
  return new Leaf((value, issues): number | typeof INVALID => {
    let message: string;
    if (typeof value === "number" && Number.isInteger(value)) {
      if (value >= min && value <= max) return value;
      message = value < min
        ? `${value} is below the minimum ${min}`
        : `${value} is above the maximum ${max}`;
    } else message = refuse(value, "a whole number", allowed);
    issues.push({ path: [], message });
    return INVALID;
  });
}

/** A TCP port, 1..65535. */
export function port() {
  return integer(1, 65535);
}

/** `true` or `false` (YAML 1.2: `yes`/`no`/`on`/`off` are strings, and refused). */
export function flag() {
  return kind(
    (value): value is boolean => typeof value === "boolean",
    (value) => refuse(value, "true or false", "true or false"),
  );
}

/** One of a fixed set of words; `aliases` maps accepted spellings onto them. */
export function oneOf<const T extends string>(
  values: readonly T[],
  noun: string,
  aliases: Readonly<Record<string, T>> = {},
) {
  const allowed = listChoices(values);
  return text(noun, allowed, (value): ParseResult<T> => {
    const word = Object.hasOwn(aliases, value) ? aliases[value] : value;
    const match = values.find((candidate) => candidate === word);
    if (match !== undefined) return { ok: true, value: match };
    const hint = didYouMean(value, [...values, ...Object.keys(aliases)]);
    return {
      ok: false,
      message: `${JSON.stringify(value)} is not ${noun}${hint}; expected ${allowed}`,
    };
  });
}

/** `host:port` or `[v6]:port`; DNS names allowed as host when `allowNames` is set. */
export function endpoint(allowNames: boolean) {
  const allowed = allowNames
    ? `HOST:PORT, e.g. vpn.example.com:443, 192.0.2.1:443 or "[2001:db8::1]:443"`
    : `HOST:PORT with an IP address, e.g. 0.0.0.0:443 or "[::]:443"`;
  return text("an endpoint", allowed, (value) => parseEndpoint(value, { allowNames }));
}

/** An IPv4 or IPv6 address without brackets or port, e.g. `127.0.0.1` or `::1`. */
export function ipAddress() {
  const allowed = "an IP address, e.g. 127.0.0.1, 0.0.0.0 or ::1";
  return text("an IP address", allowed, (value): ParseResult<string> => {
    const bare = value.startsWith("[") && value.endsWith("]") ? value.slice(1, -1) : value;
    return isIPAddress(bare) ? { ok: true, value: bare } : {
      ok: false,
      message: `${JSON.stringify(value)} is not an IP address; expected ${allowed}`,
    };
  });
}

/** A Linux network interface name: 1..15 of letters, digits, `_`, `.` and `-`. */
export function interfaceName() {
  const allowed = `1 to 15 letters, digits, "_", "." or "-", e.g. tun0`;
  return text("an interface name", allowed, (value): ParseResult<string> => {
    const quoted = JSON.stringify(value);
    if (value.length === 0 || value.length > 15) {
      return {
        ok: false,
        message: `${quoted} has ${value.length} characters; expected ${allowed}`,
      };
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(value) || value === "." || value === "..") {
      return { ok: false, message: `${quoted} is not an interface name; expected ${allowed}` };
    }
    return { ok: true, value };
  });
}

/** A file path; a relative path is resolved against `baseDir`. */
export function filePath(baseDir: string) {
  const allowed = "a file path (relative paths start from the configuration file's folder)";
  return text(
    "a file path",
    allowed,
    (value): ParseResult<string> =>
      value.trim() === ""
        ? { ok: false, message: `an empty path is not allowed; expected ${allowed}` }
        : { ok: true, value: resolve(baseDir, value) },
  );
}

/** An http:// or https:// URL, e.g. where to fetch a CRL. */
export function httpUrl() {
  const allowed = "an http:// or https:// URL";
  return text("a URL", allowed, (value): ParseResult<string> => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return { ok: false, message: `${JSON.stringify(value)} is not a URL; expected ${allowed}` };
    }
    return url.protocol === "http:" || url.protocol === "https:"
      ? { ok: true, value: url.href }
      : { ok: false, message: `${JSON.stringify(value)} is not ${allowed}` };
  });
}

/** Like {@linkcode filePath}, but the word `stdout` means standard output (undefined). */
export function outputPath(baseDir: string) {
  const allowed =
    "stdout or a file path (relative paths start from the configuration file's folder)";
  return text("a file path", allowed, (value): ParseResult<string | undefined> => {
    if (value === "stdout") return { ok: true, value: undefined };
    if (value.trim() === "") {
      return { ok: false, message: `an empty path is not allowed; expected ${allowed}` };
    }
    return { ok: true, value: resolve(baseDir, value) };
  });
}

/** A TLS protocol version, `"1.2"` or `"1.3"`; the YAML numbers 1.2 and 1.3 are accepted too. */
export function tlsVersion() {
  const allowed = `"1.2" or "1.3"`;
  return kind(isStringOrNumber, (value) => refuse(value, "a TLS version", allowed)).then(
    (value, issues): TlsVersion | typeof INVALID => {
      const word = String(value);
      if (word === "1.2" || word === "1.3") return word;
      const problem = /^1(\.[01])?$/.test(word)
        ? "is refused: TLS 1.1 and older are insecure"
        : "is not a TLS version";
      issues.push({ path: [], message: `${describeValue(value)} ${problem}; expected ${allowed}` });
      return INVALID;
    },
  );
}

/**
 * A user or group of the system (`security.user`, `security.group`): a name as useradd allows it
 * (letters, digits, `_`, `.`, `-`, not starting with a digit or `-`, at most 32 characters) or a
 * numeric id; YAML numbers are accepted as ids. The account itself is looked up when the process
 * drops privileges, not here.
 */
export function accountName(noun: string) {
  const allowed = `a ${noun} name or a numeric id, e.g. nobody or 65534`;
  return kind(isStringOrNumber, (value) => refuse(value, `a ${noun}`, allowed)).then(
    (value, issues): string | typeof INVALID => {
      const word = String(value);
      if (/^\d{1,10}$/.test(word) || /^[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?$/.test(word)) {
        return word;
      }
      issues.push({
        path: [],
        message: `${describeValue(value)} is not a ${noun} name or id; expected ${allowed}`,
      });
      return INVALID;
    },
  );
}

/** A switch that must stay on; `false` is refused with `reason`. */
export function alwaysOn(reason: string) {
  return flag().then((value, issues): true | typeof INVALID => {
    if (value) return true;
    issues.push({ path: [], message: `false is refused: ${reason}` });
    return INVALID;
  });
}

/**
 * A nested mapping of keys. Unknown keys are errors; an absent or empty section (`network:`
 * with nothing under it) takes every default.
 */
export function section<const S extends Shape>(shape: S): Mapping<S> {
  const allowed = `a mapping with the keys ${Object.keys(shape).join(", ")}`;
  return new Mapping(shape, (value) => refuse(value, "a mapping", allowed), true);
}

/**
 * `network.congestion_control`: the carrier TCP's congestion control, by its kernel name (`bbr`,
 * `cubic`, `reno`, ...), or `system` for the host's default.
 */
export function congestionControl() {
  const allowed = 'a congestion control the kernel knows (e.g. bbr, cubic) or "system"';
  return text("a congestion control", allowed, (value): ParseResult<string> => {
    if (/^[a-z0-9_]{1,15}$/.test(value)) return { ok: true, value };
    return { ok: false, message: `${JSON.stringify(value)} is not ${allowed}` };
  });
}

/**
 * One value, or a list of 1 to `max` of them (`a` or `[a, b]` in the file), each checked by
 * `element`. A problem with an entry of a list is placed on that entry (`key[1]`); a problem with
 * a single value on the key itself.
 */
export function oneOrList<T>(element: Check<T>, max: number, allowed: string): Leaf<T[]> {
  return new Leaf((value, issues): T[] | typeof INVALID => {
    const refuseWith = (message: string): typeof INVALID => {
      issues.push({ path: [], message });
      return INVALID;
    };
    if (value === undefined || value === null) return refuseWith(refuse(value, "", allowed));
    const listed = Array.isArray(value);
    const items: unknown[] = listed ? value : [value];
    if (items.length === 0) return refuseWith(`an empty list; expected ${allowed}`);
    if (items.length > max) {
      return refuseWith(`a list of ${items.length} entries; at most ${max} allowed: ${allowed}`);
    }
    const values: T[] = [];
    let failed = false;
    for (const [index, item] of items.entries()) {
      const result = element.parse(item);
      if (result.ok) {
        values.push(result.value);
        continue;
      }
      failed = true;
      for (const issue of result.issues) {
        issues.push({ ...issue, path: listed ? [index, ...issue.path] : issue.path });
      }
    }
    return failed ? INVALID : values;
  });
}

/** A list of up to `max` values of `element`; an empty key (`routes:` alone) is an empty list. */
export function boundedList<T>(
  element: Check<T>,
  max: number,
  noun: string,
  allowed: string,
): List<T> {
  return new List(element, (value) => refuse(value, "a list", allowed), {
    max: {
      count: max,
      message: (length) => `${length} ${noun} are too many; at most ${max} are allowed`,
    },
  }, true);
}
