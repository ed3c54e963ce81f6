/**
 * What the configuration unit tests share: the `security:` section every file needs, and the
 * problems a text is refused with.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/errors.ts";
import { parseConfig } from "../../src/config/parse.ts";
import type { ConfigProblem } from "../../src/config/errors.ts";
import { thrown } from "./thrown.ts";

/** The `security:` section with the TLS files every configuration names (5 lines). */
export const TLS = `security:
  tls:
    cert_file: a.crt
    key_file: a.key
    ca_file: ca.crt
`;

/** Every problem `text` is refused with; fails the test when it parses. */
export function problems(text: string): ConfigProblem[] {
  return [...thrown(ConfigError, () => parseConfig(text, "config.yaml"), "parseConfig").problems];
}

/** [path, line, message] of every problem, for one deepEqual. */
export function listed(text: string): Array<[string, number | undefined, string]> {
  return problems(text).map((p) => [p.path, p.line, p.message]);
}

/** The one problem `text` is refused with. */
export function onlyProblem(text: string): ConfigProblem {
  const found = problems(text);
  assert.equal(found.length, 1, `expected one problem, got ${JSON.stringify(found)}`);
  return found[0]!;
}
