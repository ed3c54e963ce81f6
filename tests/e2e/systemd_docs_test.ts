/**
 * docs/guide/deployment.md's install steps, run verbatim: every ```sh block after a
 * `<!-- tested -->` line, in order, as root in a booted systemd (tests/lib/nspawn.ts) with the
 * freshly built tarball in the current folder. Finding 7 of issue 18: the README's
 * `install -m 0755 sssonector libsssonector_tun.so /usr/local/bin/` failed for the bundle and
 * `deno run -A build.ts` failed without deno on PATH.
 */

import assert from "node:assert/strict";
import { BootedContainer, SHARED_INSIDE } from "../lib/nspawn.ts";
import { buildDebOnce } from "../lib/deb_build.ts";
import { bundlePath } from "../../build.ts";
import { pollUntil } from "../lib/poll.ts";

const ignore = Deno.uid() !== 0;
const ROOT = new URL("../../", import.meta.url).pathname;

/** The fenced sh blocks marked `<!-- tested -->` in a Markdown text, in order. */
export function testedBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const pattern = /<!-- tested -->\s*\n```sh\n([\s\S]*?)\n```/g;
  for (const match of markdown.matchAll(pattern)) blocks.push(match[1]!);
  return blocks;
}

Deno.test("testedBlocks() finds the marked sh blocks only", () => {
  const text =
    "<!-- tested -->\n\n```sh\na\nb\n```\n\n```sh\nc\n```\n<!-- tested -->\n```sh\nd\n```\n";
  assert.deepEqual(testedBlocks(text), ["a\nb", "d"]);
});

Deno.test({
  name: "docs/guide/deployment.md: the tarball install, systemd and rotation steps run verbatim",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const blocks = testedBlocks(await Deno.readTextFile(`${ROOT}docs/guide/deployment.md`));
    assert.ok(blocks.length >= 4, `only ${blocks.length} tested blocks`);
    await buildDebOnce();
    const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
    await using container = await BootedContainer.boot("d");
    await Deno.copyFile(
      `${ROOT}${bundlePath(arch)}`,
      `${container.shared}/sssonector-${arch}.tar.gz`,
    );
    for (const [index, block] of blocks.entries()) {
      // The page is written for x86_64; on aarch64 its tarball has that name.
      const script = block.replaceAll("sssonector-x86_64.tar.gz", `sssonector-${arch}.tar.gz`);
      const result = await container.exec(`set -e -x\ncd ${SHARED_INSIDE}\n${script}`);
      assert.equal(
        result.code,
        0,
        `block ${index + 1} failed:\n${script}\n--- output\n${result.stdout}${result.stderr}`,
      );
    }
    // The rotation's reload (SIGHUP; the process says RELOADING=1, then READY=1) may still be
    // under way: the unit must come back to active, not stay reloading.
    let state = "";
    await pollUntil(
      async () => {
        state = await container.execOk(
          "systemctl is-active sssonector; pidof sssonector; ls /var/log/sssonector/",
        );
        return /^active$/m.test(state);
      },
      "the unit is active again after the rotation's reload",
      { intervalMs: 200 },
    ).catch(() => {});
    assert.match(state, /^active$/m);
    assert.match(state, /^sssonector\.log\.1$/m, "the rotation renamed the log");
  },
});
