/**
 * The reference cannot drift from the code: the generated blocks of docs/reference/*.md and the
 * man page docs/reference/sssonector.8 are exactly what tools/docs/ renders from the schema and the
 * flag table, every key and flag appears in them, and the man page renders with man(1).
 */
import assert from "node:assert/strict";
import { FLAGS } from "../../src/cli/_flags.ts";
import { usageText } from "../../src/cli/usage.ts";
import { readUsageText } from "../../tools/docs/cli_model.ts";
import { configKeyRows } from "../../tools/docs/config_keys.ts";
import { MAN_PAGE_PATH, staleFiles } from "../../tools/docs/main.ts";
import { manPage } from "../../tools/docs/man_page.ts";
import { readBlock, table, writeBlock } from "../../tools/docs/markdown.ts";
import { schemaKeys } from "../../tools/docs/schema_keys.ts";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, ROOT));
const hasMan = new Deno.Command("sh", { args: ["-c", "command -v man"], stdout: "null" })
  .outputSync().success;

Deno.test("the generated reference pages and the man page are what tools/docs renders now", async () => {
  assert.deepEqual(
    await staleFiles(),
    [],
    "regenerate them with: deno run -A tools/docs/main.ts",
  );
});

Deno.test("every key of the configuration schema is in the reference page and the man page", async () => {
  const page = await read("docs/reference/configuration.md");
  const man = await read(MAN_PAGE_PATH);
  const keys = schemaKeys().filter((key) => !key.section);
  assert.ok(keys.length > 30, `only ${keys.length} keys found in the schema`);
  for (const { path } of keys) {
    assert.ok(page.includes(`| \`${path}\``), `${path} is not a row of configuration.md`);
    const leaf = path.split(".").at(-1)!.replaceAll("-", "\\-");
    assert.ok(man.includes(`\\fB${leaf}\\fR (`), `${path} is not in ${MAN_PAGE_PATH}`);
  }
});

Deno.test("every flag of the flag table is in the CLI reference and the man page", async () => {
  const page = await read("docs/reference/cli.md");
  const man = await read(MAN_PAGE_PATH);
  for (const name of Object.keys(FLAGS)) {
    assert.match(page, new RegExp(`\\| \`(-\\w, )?--${name}\\b`), `--${name} is not in cli.md`);
    assert.ok(man.includes(`\\fB\\-\\-${name.replaceAll("-", "\\-")}\\fR`), `--${name} in man`);
  }
  for (const { synopsis } of readUsageText(usageText()).usages) {
    for (const line of synopsis) {
      assert.ok(page.includes(line.replace(/^sssonector/, "./sssonector")), `cli.md: ${line}`);
    }
  }
});

Deno.test("configKeyRows() names a key the schema gained or lost without a text", () => {
  const keys = schemaKeys();
  const added = [
    ...keys,
    {
      path: "network.new_key",
      presence: { kind: "default", value: 1 },
      section: false,
    } as const,
  ];
  assert.throws(() => configKeyRows(added), /network\.new_key: in the schema but not described/);
  const removed = keys.filter((key) => key.path !== "network.mtu");
  assert.throws(() => configKeyRows(removed), /network\.mtu: described but not a key/);
});

Deno.test("readUsageText() reads commands, wrapped synopses and exit codes of the help text", () => {
  const help = readUsageText(usageText());
  assert.ok(help.usages.length >= 8);
  const generate = help.usages.find((usage) => usage.synopsis[0]!.includes("--generate-certs"));
  assert.match(generate!.synopsis[0]!, /--server-ip IP .*\[--new-ca\]$/);
  const revoke = help.usages.find((usage) => usage.synopsis.length === 2);
  assert.match(revoke!.synopsis[1]!, /^sssonector --revoke-serial HEX/);
  assert.deepEqual(help.exitCodes.map(([code]) => code), ["0", "1", "2"]);
});

Deno.test("table() lays out like deno fmt, and writeBlock() replaces only its own block", () => {
  assert.equal(
    table(["a", "bb"], [["x|y", "z"]]),
    "| a    | bb  |\n| ---- | --- |\n| x\\|y | z   |",
  );
  const page =
    "intro\n<!-- BEGIN GENERATED t: deno run -A tools/docs/main.ts writes this block -->\n" +
    "old\n<!-- END GENERATED t -->\nrest\n";
  const written = writeBlock(page, "t", "new");
  assert.equal(readBlock(written, "t"), "new");
  assert.ok(written.startsWith("intro\n") && written.endsWith("rest\n"));
  assert.throws(() => writeBlock("no markers", "t", "x"), /has no block t/);
});

Deno.test({
  name: "man -l renders docs/reference/sssonector.8 without a warning",
  ignore: !hasMan,
  fn: async () => {
    const out = await new Deno.Command("man", {
      args: ["--warnings", "-l", new URL(MAN_PAGE_PATH, ROOT).pathname],
      env: { MANWIDTH: "80", MANPAGER: "cat", PAGER: "cat", LC_ALL: "C.UTF-8" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(stderr, "");
    const text = new TextDecoder().decode(out.stdout);
    for (const section of ["NAME", "SYNOPSIS", "OPTIONS", "CONFIGURATION", "EXIT STATUS"]) {
      assert.match(text, new RegExp(`^${section}$`, "m"));
    }
    assert.match(text, /--generate-certs/);
    assert.equal(manPage(), await read(MAN_PAGE_PATH));
  },
});
