/**
 * The Debian package of this checkout for this machine's architecture, built once per test
 * process with `./sssonector build --target ARCH` (about 20 s: the bundle, its tarball, the .deb).
 */

import denoJson from "../../deno.json" with { type: "json" };
import { debPath } from "../../packaging/debian.ts";
import { runOk } from "../../tools/lab/netns_lab.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
let built: Promise<string> | undefined;

/** The absolute path of the freshly built .deb. */
export function buildDebOnce(): Promise<string> {
  built ??= (async () => {
    const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
    await runOk(`${ROOT}sssonector`, ["build", "--target", arch]);
    return `${ROOT}${debPath(denoJson.version, arch)}`;
  })();
  return built;
}
