/**
 * examples/server.yaml and examples/client.yaml are the commented reference of every key: each
 * parses as it is, parses again with every commented-out key (`#key: value`) switched on, holds
 * every key of the schema that its mode's file takes (and no other), and sets every key that has
 * a default to exactly the schema's default.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseConfig } from "../../src/config/parse.ts";
import { KEY_TEXTS } from "../../tools/docs/config_keys.ts";
import { schemaKeys } from "../../tools/docs/schema_keys.ts";

const EXAMPLES = new URL("../../examples/", import.meta.url);
const MODES = ["server", "client"] as const;

async function exampleText(mode: string): Promise<string> {
  return await Deno.readTextFile(new URL(`${mode}.yaml`, EXAMPLES));
}

/** The file with every commented-out key on: a `#` right before a key or list entry is dropped. */
function everyKeyOn(text: string): string {
  return text.replace(/^(\s*)#(?=[^\s#])/gm, "$1");
}

/** The dotted key paths of a parsed YAML value; `[]` for the entries of a list of mappings. */
function keyPaths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((entry) =>
      typeof entry === "object" && entry !== null
        ? keyPaths(entry, `${prefix.slice(0, -1)}[].`)
        : []
    );
  }
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, field]) => {
    const path = prefix + key;
    const nested = keyPaths(field, `${path}.`);
    return Array.isArray(field) || typeof field !== "object" || field === null
      ? [path, ...nested]
      : nested;
  });
}

function valueAt(data: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>(
    (value, key) => (value as Record<string, unknown> | undefined)?.[key],
    data,
  );
}

/** The keys a file of `mode` takes, from the schema and the modes of tools/docs/config_keys.ts. */
function keysOfMode(mode: string): string[] {
  return schemaKeys().filter((key) => !key.section)
    .filter((key) => [mode, "any"].includes(KEY_TEXTS[key.path]?.mode ?? "missing"))
    .map((key) => key.path);
}

for (const mode of MODES) {
  Deno.test(`examples/${mode}.yaml parses as it is, and with every commented-out key on`, async () => {
    const text = await exampleText(mode);
    const path = new URL(`${mode}.yaml`, EXAMPLES).pathname;
    assert.equal(parseConfig(text, path).mode, mode);
    const on = everyKeyOn(text);
    assert.notEqual(on, text, "some keys are commented out");
    assert.equal(parseConfig(on, path).mode, mode);
  });

  Deno.test(`examples/${mode}.yaml holds every key a ${mode}'s file takes, and no other`, async () => {
    const written = new Set(keyPaths(parse(everyKeyOn(await exampleText(mode)))));
    const expected = new Set(keysOfMode(mode));
    assert.deepEqual([...expected].filter((key) => !written.has(key)), [], "missing keys");
    assert.deepEqual([...written].filter((key) => !expected.has(key)), [], "keys not of this mode");
  });

  Deno.test(`examples/${mode}.yaml sets each key with a default to the schema's default`, async () => {
    const data = parse(await exampleText(mode));
    const on = parse(everyKeyOn(await exampleText(mode)));
    const wrong: string[] = [];
    for (const key of schemaKeys()) {
      if (key.section || !keysOfMode(mode).includes(key.path)) continue;
      if (key.path.includes("[]")) continue; // list entries: examples, not defaults
      const value = valueAt(data, key.path);
      // A key of an optional section the example leaves commented out (proxy:): its defaults
      // apply only once the section is written, so it is shown commented out as well.
      const parent = key.path.split(".").slice(0, -1).join(".");
      const section = schemaKeys().find((k) => k.section && k.path === parent);
      if (section?.presence.kind === "optional" && valueAt(data, parent) === undefined) {
        assert.ok(valueAt(on, key.path) !== undefined, key.path);
        continue;
      }
      // listen and server: optional in the schema, required by the mode (parse.ts).
      const required = key.presence.kind === "required" ||
        (KEY_TEXTS[key.path]?.absent ?? "").startsWith("required");
      if (required) {
        if (value === undefined) wrong.push(`${key.path} is required: set it`);
      } else if (key.presence.kind === "default") {
        if (JSON.stringify(value) !== JSON.stringify(key.presence.value)) {
          wrong.push(
            `${key.path} is ${JSON.stringify(value)}, the default is ${
              JSON.stringify(key.presence.value)
            }`,
          );
        }
      } else if (key.presence.kind === "optional" && value !== undefined) {
        wrong.push(
          `${key.path} has no default: comment it out (#${key.path.split(".").at(-1)}: ...)`,
        );
      }
      assert.ok(valueAt(on, key.path) !== undefined || key.path.includes("[]"), key.path);
    }
    assert.deepEqual(wrong, []);
  });
}

Deno.test("each key that only one mode takes is refused in the other mode's example", async () => {
  for (const [path, text] of Object.entries(KEY_TEXTS)) {
    if (text.mode === "any" || path.includes(".")) continue;
    const other = text.mode === "server" ? "client" : "server";
    const own = parse(everyKeyOn(await exampleText(text.mode)));
    const file = `${await exampleText(other)}\n${path}: ${JSON.stringify(own[path])}\n`;
    assert.throws(
      () => parseConfig(file, `${other}.yaml`),
      new RegExp(`"${path}" is a ${text.mode} key`),
      `${path} in a ${other}'s file`,
    );
  }
});
