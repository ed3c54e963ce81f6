/**
 * Writes the generated parts of the docs from the program's own tables: the blocks of
 * docs/reference/{configuration,cli,exit-codes}.md and the man page docs/reference/sssonector.8.
 *
 *   deno run -A tools/docs/main.ts           write them
 *   deno run -A tools/docs/main.ts --check   exit 1 naming every file that differs
 *
 * tests/unit/docs_reference_test.ts runs the same comparison as --check.
 *
 * @module
 */

import { manPage } from "./man_page.ts";
import { writeBlock } from "./markdown.ts";
import { referenceBlocks } from "./reference.ts";

const ROOT = new URL("../../", import.meta.url);

/** Where the man page is committed (the .deb ships it from there). */
export const MAN_PAGE_PATH = "docs/reference/sssonector.8";

/** Every generated file with the text it should have, given the current texts of the pages. */
export async function generatedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const page of referenceBlocks()) {
    let text = await Deno.readTextFile(new URL(page.path, ROOT));
    for (const [name, content] of page.blocks) text = writeBlock(text, name, content);
    files.set(page.path, text);
  }
  files.set(MAN_PAGE_PATH, manPage());
  return files;
}

/** The files whose committed text differs from what the generator makes. */
export async function staleFiles(): Promise<string[]> {
  const stale: string[] = [];
  for (const [path, text] of await generatedFiles()) {
    const current = await Deno.readTextFile(new URL(path, ROOT)).catch(() => undefined);
    if (current !== text) stale.push(path);
  }
  return stale;
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const stale = await staleFiles();
    for (const path of stale) {
      console.error(`${path} differs from the code; run: deno run -A tools/docs/main.ts`);
    }
    Deno.exit(stale.length === 0 ? 0 : 1);
  }
  for (const [path, text] of await generatedFiles()) {
    await Deno.writeTextFile(new URL(path, ROOT), text);
    console.log(`wrote ${path}`);
  }
}
