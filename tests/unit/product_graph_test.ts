/**
 * The product is what ships: `deno compile src/main.ts` (build.ts) embeds src/main.ts and every
 * module it imports, so src/ must never import the development tools (tools/) or the tests.
 */
import assert from "node:assert/strict";

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

Deno.test("no file in src/ imports anything outside src/, not even lazily", async () => {
  const offenders: string[] = [];
  for await (const file of sourceFiles(SRC)) {
    const text = await Deno.readTextFile(file);
    const specifiers = text.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm,
    );
    for (const [, specifier] of specifiers) {
      if (!specifier!.startsWith(".") && !specifier!.startsWith("/")) continue;
      const target = new URL(specifier!, file).href;
      if (!target.startsWith(SRC.href) && !ALLOWED_OUTSIDE_SRC.includes(target)) {
        offenders.push(`${file.href.slice(ROOT.href.length)} imports ${specifier}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});
