/**
 * Zod builders for the kinds of value the configuration file holds. Each builder writes its
 * own one-line messages (bad value quoted, then what is allowed), so zod's wording never
 * reaches the user.
 *
 * @module
 */

import { resolve } from "node:path";
import { z } from "zod";
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
  return z.string({ error: (issue) => refuse(issue.input, noun, allowed) }).transform(
    (value, ctx): T => {
      const result = convert(value);
      if (result.ok) return result.value;
      ctx.issues.push({ code: "custom", message: result.message, input: value });
      return z.NEVER;
    },
  );
}

/** A whole number from `min` to `max`. */
export function integer(min: number, max: number) {
  const allowed = `a whole number from ${min} to ${max}`;
  return z.int({
    error: (issue) => {
      const value = issue.input;
      if (typeof value === "number" && Number.isInteger(value)) {
        if (value < min) return `${value} is below the minimum ${min}`;
        if (value > max) return `${value} is above the maximum ${max}`;
      }
      return refuse(value, "a whole number", allowed);
    },
  }).min(min).max(max);
}

/** A TCP port, 1..65535. */
export function port() {
  return integer(1, 65535);
}

/** `true` or `false` (YAML 1.2: `yes`/`no`/`on`/`off` are strings, and refused). */
export function flag() {
  return z.boolean({ error: (issue) => refuse(issue.input, "true or false", "true or false") });
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
  return z.union([z.string(), z.number()], {
    error: (issue) => refuse(issue.input, "a TLS version", allowed),
  }).transform((value, ctx): TlsVersion => {
    const word = String(value);
    if (word === "1.2" || word === "1.3") return word;
    const problem = /^1(\.[01])?$/.test(word)
      ? "is refused: TLS 1.1 and older are insecure"
      : "is not a TLS version";
    ctx.issues.push({
      code: "custom",
      message: `${describeValue(value)} ${problem}; expected ${allowed}`,
      input: value,
    });
    return z.NEVER;
  });
}

/**
 * A user or group of the system (`security.user`, `security.group`): a name as useradd allows it
 * (letters, digits, `_`, `.`, `-`, not starting with a digit or `-`, at most 32 characters) or a
 * numeric id; YAML numbers are accepted as ids. The account itself is looked up when the process
 * drops privileges, not here.
 */
export function accountName(noun: string) {
  const allowed = `a ${noun} name or a numeric id, e.g. nobody or 65534`;
  return z.union([z.string(), z.number()], {
    error: (issue) => refuse(issue.input, `a ${noun}`, allowed),
  }).transform((value, ctx): string => {
    const word = String(value);
    if (/^\d{1,10}$/.test(word) || /^[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?$/.test(word)) return word;
    ctx.issues.push({
      code: "custom",
      message: `${describeValue(value)} is not a ${noun} name or id; expected ${allowed}`,
      input: value,
    });
    return z.NEVER;
  });
}

/** A switch that must stay on; `false` is refused with `reason`. */
export function alwaysOn(reason: string) {
  return flag().transform((value, ctx): true => {
    if (value) return true;
    ctx.issues.push({ code: "custom", message: `false is refused: ${reason}`, input: value });
    return z.NEVER;
  });
}

/**
 * A nested mapping of keys. Unknown keys are errors; an absent or empty section (`network:`
 * with nothing under it) takes every default.
 */
export function section<const Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = `a mapping with the keys ${Object.keys(shape).join(", ")}`;
  return z.preprocess(
    (value) => value ?? {},
    z.strictObject(shape, { error: (issue) => refuse(issue.input, "a mapping", allowed) }),
  );
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

/** Something with zod's `safeParse`: a schema for the elements of {@linkcode oneOrList}. */
interface Element<T> {
  safeParse(value: unknown): z.ZodSafeParseResult<T>;
}

/**
 * One value, or a list of 1 to `max` of them (`a` or `[a, b]` in the file), each checked by
 * `element`. A problem with an entry of a list is placed on that entry (`key[1]`); a problem with
 * a single value on the key itself.
 */
export function oneOrList<T>(element: Element<T>, max: number, allowed: string) {
  return z.unknown().transform((value, ctx): T[] => {
    const refuseWith = (message: string) => {
      ctx.issues.push({ code: "custom", message, input: value });
      return z.NEVER;
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
      const result = element.safeParse(item);
      if (result.success) {
        values.push(result.data);
        continue;
      }
      failed = true;
      for (const issue of result.error.issues) {
        const path = listed ? [index, ...issue.path] : issue.path;
        ctx.issues.push({ code: "custom", message: issue.message, input: item, path });
      }
    }
    return failed ? z.NEVER : values;
  });
}

/** A list of up to `max` values of `element`; an empty key (`routes:` alone) is an empty list. */
export function boundedList<T extends z.ZodType>(
  element: T,
  max: number,
  noun: string,
  allowed: string,
) {
  return z.preprocess(
    (value) => value ?? [],
    z.array(element, { error: (issue) => refuse(issue.input, "a list", allowed) }).max(max, {
      error: (issue) =>
        `${
          Array.isArray(issue.input) ? issue.input.length : "too many"
        } ${noun} are too many; at most ${max} are allowed`,
    }),
  );
}
