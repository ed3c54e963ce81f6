/**
 * The product is what ships: `deno compile src/main.ts` (build.ts) embeds src/main.ts and every
 * module it imports, so src/ must never import the development tools (tools/) or the tests.
 * Inside src/, imports follow the layer table (tests/unit/layers.ts, the same as in
 * docs/design/architecture.md): every import points down, no folder reaches into another's
 * `_private.ts` files, and there are no barrel files.
 */
import assert from "node:assert/strict";
import { GROUND, LAYERS, mayImport } from "./layers.ts";

const ROOT = new URL("../../", import.meta.url);
const SRC = new URL("src/", ROOT);
/** Files outside src/ that the program may read as modules: its version comes from deno.json. */
const ALLOWED_OUTSIDE_SRC = [new URL("deno.json", ROOT).href];

async function* sourceFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* sourceFiles(url);
    else if (/\.[cm]?[jt]sx?$/.test(entry.name)) yield url;
  }
}

Deno.test("every module of the compiled program's graph is in src/ (tools/ and tests/ are never embedded)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "src/main.ts"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  const local = graph.modules.map((module) => module.specifier)
    .filter((specifier) => specifier.startsWith("file:"));
  assert.ok(local.includes(new URL("main.ts", SRC).href), "the graph starts at src/main.ts");
  const outside = local.filter((specifier) =>
    !specifier.startsWith(SRC.href) && !ALLOWED_OUTSIDE_SRC.includes(specifier)
  );
  assert.deepEqual(outside, []);
});

/** Every relative import of every file of src/: the file, what it wrote and where that is. */
async function sourceImports(): Promise<{ file: URL; specifier: string; target: URL }[]> {
  const found = [];
  for await (const file of sourceFiles(SRC)) {
    const text = await Deno.readTextFile(file);
    const specifiers = text.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm,
    );
    for (const [, specifier] of specifiers) {
      if (!specifier!.startsWith(".") && !specifier!.startsWith("/")) continue;
      found.push({ file, specifier: specifier!, target: new URL(specifier!, file) });
    }
  }
  return found;
}

/** The folder of src/ a file is in: `tun` for src/tun/device.ts, `.` for src/main.ts. */
function folderOf(file: URL): string {
  const parts = file.href.slice(SRC.href.length).split("/");
  return parts.length === 1 ? "." : parts[0]!;
}

const shown = (file: URL) => file.href.slice(ROOT.href.length);

Deno.test("no file in src/ imports anything outside src/, not even lazily", async () => {
  const offenders = (await sourceImports())
    .filter(({ target }) =>
      !target.href.startsWith(SRC.href) && !ALLOWED_OUTSIDE_SRC.includes(target.href)
    )
    .map(({ file, specifier }) => `${shown(file)} imports ${specifier}`);
  assert.deepEqual(offenders, []);
});

Deno.test("every import in src/ points down the layer table", async () => {
  const offenders = (await sourceImports())
    .filter(({ target }) => target.href.startsWith(SRC.href))
    .filter(({ file, target }) => !mayImport(folderOf(file), folderOf(target)))
    .map(({ file, specifier, target }) =>
      `${shown(file)} imports ${specifier}: ${folderOf(file)} may not import ${folderOf(target)}`
    );
  assert.deepEqual(offenders, [], "move the file down, or the import up (tests/unit/layers.ts)");
});

Deno.test("no file in src/ imports another folder's _private file", async () => {
  const offenders = (await sourceImports())
    .filter(({ target }) => target.pathname.split("/").at(-1)!.startsWith("_"))
    .filter(({ file, target }) => folderOf(file) !== folderOf(target))
    .map(({ file, specifier }) => `${shown(file)} imports ${specifier}`);
  assert.deepEqual(offenders, [], "a file used by other folders is public: drop its _ prefix");
});

Deno.test("the layer table names every folder of src/ and has no cycle", () => {
  const folders = [...Deno.readDirSync(SRC)].filter((entry) => entry.isDirectory)
    .map((entry) => entry.name).toSorted();
  const named = Object.keys(LAYERS).filter((folder) => folder !== ".").toSorted();
  assert.deepEqual(folders, named);
  for (const [folder, allowed] of Object.entries(LAYERS)) {
    for (const lower of allowed) {
      assert.ok(lower in LAYERS, `${folder} may import ${lower}, which is not in the table`);
      assert.ok(!(GROUND as readonly string[]).includes(lower), `${lower} is ground for all`);
    }
  }
  // Depth-first: a folder on the current path met again is a cycle.
  const done = new Set<string>();
  const visit = (folder: string, path: string[]) => {
    assert.ok(!path.includes(folder), `cycle: ${[...path, folder].join(" -> ")}`);
    if (done.has(folder)) return;
    for (const lower of LAYERS[folder] ?? []) visit(lower, [...path, folder]);
    done.add(folder);
  };
  for (const folder of Object.keys(LAYERS)) visit(folder, []);
});

Deno.test("docs/design/architecture.md shows the same layer table", async () => {
  const page = await Deno.readTextFile(new URL("docs/design/architecture.md", ROOT));
  const start = page.search(/^\| folder\s+\| may import/m);
  assert.ok(start >= 0, "the page has the layer table");
  const rows = page.slice(start).split("\n").slice(2).filter((line) => line.startsWith("|"));
  const table: Record<string, string[]> = {};
  for (const row of rows) {
    const [folder = "", allowed = ""] = row.split("|").slice(1, 3)
      .map((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!).join(" "));
    table[folder.split(" ")[0]!] = allowed === "" ? [] : allowed.split(" ");
  }
  const expected = Object.fromEntries(
    Object.entries(LAYERS).map(([folder, allowed]) => [folder, [...allowed]]),
  );
  assert.deepEqual(table, expected);
});

Deno.test("src/ has no barrel files: modules import the file that defines what they use", () => {
  const barrels = [...Deno.readDirSync(SRC)].filter((entry) => entry.isDirectory)
    .map((entry) => `src/${entry.name}/mod.ts`)
    .filter((path) => {
      try {
        return Deno.statSync(new URL(path, ROOT)).isFile;
      } catch {
        return false;
      }
    });
  assert.deepEqual(barrels, []);
});

Deno.test("only src/native/ opens a library: one loader and one symbol table for the shim", async () => {
  const offenders = [];
  for await (const file of sourceFiles(SRC)) {
    const text = await Deno.readTextFile(file);
    const path = shown(file);
    if (/\bDeno\.dlopen\s*\(/.test(text) && path !== "src/native/library.ts") {
      offenders.push(`${path} opens a library`);
    }
    if (/\bForeignLibraryInterface\b/.test(text) && path !== "src/native/symbols.ts") {
      offenders.push(`${path} declares symbols`);
    }
  }
  assert.deepEqual(offenders, [], "add the symbols to src/native/symbols.ts, load with library.ts");
});
