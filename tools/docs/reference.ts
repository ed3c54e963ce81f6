/**
 * The generated blocks of the reference pages: the configuration keys (configuration.md), the
 * commands and flags (cli.md) and the exit codes (exit-codes.md), each rendered from the program's
 * own schema and flag table.
 *
 * @module
 */

import { type CommandLine, commandLine, flagSpelling } from "./cli_model.ts";
import { configKeyRows, type KeyRow } from "./config_keys.ts";
import { table } from "./markdown.ts";

/** A page of docs/ (path from the repository root) and the blocks the generator owns in it. */
export interface GeneratedPage {
  readonly path: string;
  readonly blocks: ReadonlyMap<string, string>;
}

/** Every generated block, by page. */
export function referenceBlocks(
  keys: readonly KeyRow[] = configKeyRows(),
  cli: CommandLine = commandLine(),
): GeneratedPage[] {
  const entryKeys = keys.filter((key) => key.path.startsWith("clients[]."));
  const fileKeys = keys.filter((key) => !key.path.startsWith("clients[]."));
  return [
    {
      path: "docs/reference/configuration.md",
      blocks: new Map([
        ["config-keys", keyTable(fileKeys)],
        ["client-entry-keys", keyTable(entryKeys)],
      ]),
    },
    {
      path: "docs/reference/cli.md",
      blocks: new Map([["cli-usage", usageBlock(cli)], ["cli-flags", flagTable(cli)]]),
    },
    {
      path: "docs/reference/exit-codes.md",
      blocks: new Map([["exit-codes", table(["code", "meaning"], cli.exitCodes)]]),
    },
  ];
}

const MODE_LABEL = { any: "both", server: "server", client: "client" } as const;

function keyTable(keys: readonly KeyRow[]): string {
  return table(
    ["key", "default", "file", "meaning"],
    keys.map((key) => [`\`${key.path}\``, key.shownDefault, MODE_LABEL[key.mode], key.meaning]),
  );
}

function usageBlock(cli: CommandLine): string {
  const lines = cli.usages.flatMap((usage) => [
    ...usage.synopsis.map((line) => line.replace(/^sssonector/, "./sssonector")),
    `    # ${usage.description}`,
  ]);
  return ["```", ...lines, "```"].join("\n");
}

function flagTable(cli: CommandLine): string {
  return table(
    ["flag", "with", "meaning"],
    cli.flags.map((flag) => [
      `\`${flagSpelling(flag)}\``,
      flag.spec.commands.length === 0 ? "any" : flag.spec.commands.join(", "),
      flag.spec.description,
    ]),
  );
}
