/**
 * The documentation's links hold: every relative link in README.md, CONTRIBUTING.md, CHANGELOG.md
 * and docs/**.md names a file that exists (and a heading of it, for `#anchor` links), and every
 * page of docs/ can be reached from the README.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const TOP_PAGES = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md"];

async function* markdownIn(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* markdownIn(url);
    else if (entry.name.endsWith(".md")) yield url;
  }
}

async function pages(): Promise<URL[]> {
  const found = TOP_PAGES.map((name) => new URL(name, ROOT));
  for await (const page of markdownIn(new URL("docs/", ROOT))) found.push(page);
  return found;
}

/** Markdown without fenced code blocks and inline code, where brackets are not links. */
function proseOf(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** The targets of `[text](target)` and `![alt](target)` links. */
export function linkTargets(text: string): string[] {
  return [...proseOf(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((match) => match[1]!);
}

/** GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  for (
    const [, heading] of proseOf(text.replace(/`([^`\n]*)`/g, "$1")).matchAll(
      /^#{1,6}\s+(.+?)\s*#*$/gm,
    )
  ) {
    const base = heading!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const seen = counts.get(base) ?? 0;
    counts.set(base, seen + 1);
    anchors.add(seen === 0 ? base : `${base}-${seen}`);
  }
  return anchors;
}

async function exists(url: URL): Promise<boolean> {
  return await Deno.stat(url).then(() => true, () => false);
}

Deno.test("headingAnchors() makes GitHub's anchors, and linkTargets() skips code", () => {
  const text =
    "# Many clients: `bench --fleet`\n## SIGHUP: certificates and log file\n## A\n## A\n" +
    "```\n[not](a-link.md)\n```\nsee [this](x.md#a-1) and `[code](y.md)`";
  assert.deepEqual([...headingAnchors(text)], [
    "many-clients-bench---fleet",
    "sighup-certificates-and-log-file",
    "a",
    "a-1",
  ]);
  assert.deepEqual(linkTargets(text), ["x.md#a-1"]);
});

Deno.test("every relative link in the README and docs/ names an existing file and heading", async () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of await pages()) {
    if (!await exists(page)) {
      broken.push(`${page.href.slice(ROOT.href.length)} is missing`);
      continue;
    }
    const from = page.href.slice(ROOT.href.length);
    for (const target of linkTargets(await Deno.readTextFile(page))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      checked++;
      const [path = "", anchor] = target.split("#", 2);
      const file = path === "" ? page : new URL(decodeURI(path), page);
      if (!file.href.startsWith(ROOT.href)) {
        broken.push(`${from}: ${target} leaves the repository`);
      } else if (!await exists(file)) {
        broken.push(`${from}: ${target} names a file that does not exist`);
      } else if (anchor !== undefined && file.pathname.endsWith(".md")) {
        if (!headingAnchors(await Deno.readTextFile(file)).has(anchor)) {
          broken.push(`${from}: ${target} names a heading the page does not have`);
        }
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked > 50, `only ${checked} links found`);
});

Deno.test("every repository path the docs name in backticks exists", async () => {
  const missing: string[] = [];
  for (const page of await pages()) {
    if (!await exists(page)) continue;
    const text = (await Deno.readTextFile(page)).replace(/^```[\s\S]*?^```$/gm, "");
    const paths = text.matchAll(
      /`((?:src|native|tests|tools|configs|docs|examples|e2e|unit)\/[\w./@-]*)`/g,
    );
    for (const [, path] of paths) {
      // Placeholders such as tests/scenarios/NN_name/ or tests/results/YYYYMMDD_HHMMSS/.
      if (/[A-Z]{2,}/.test(path!) || path!.endsWith("_")) continue;
      // The security table names tests from tests/: e2e/tunnel_test.ts.
      const full = /^(e2e|unit)\//.test(path!) ? `tests/${path}` : path!;
      if (!await exists(new URL(full, ROOT))) {
        missing.push(`${page.href.slice(ROOT.href.length)}: ${path}`);
      }
    }
  }
  assert.deepEqual(missing, [], "a file moved or was renamed: update the page");
});

Deno.test("every page of docs/ is reachable from the README through links", async () => {
  const all = await pages();
  const reached = new Set<string>();
  const queue = [new URL("README.md", ROOT)];
  while (queue.length > 0) {
    const page = queue.pop()!;
    if (reached.has(page.href) || !page.pathname.endsWith(".md") || !await exists(page)) continue;
    reached.add(page.href);
    for (const target of linkTargets(await Deno.readTextFile(page))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const path = target.split("#", 1)[0]!;
      if (path !== "") queue.push(new URL(decodeURI(path), page));
    }
  }
  const unreached = all.map((page) => page.href).filter((href) => !reached.has(href))
    .map((href) => href.slice(ROOT.href.length));
  assert.deepEqual(unreached, []);
});

Deno.test("the README stays a front page: at most 10 KB", async () => {
  const size = (await Deno.stat(new URL("README.md", ROOT))).size;
  assert.ok(size <= 10 * 1024, `README.md is ${size} bytes; move detail into docs/`);
});
