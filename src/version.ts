import denoJson from "../deno.json" with { type: "json" };

/** The release version, from deno.json. */
export const VERSION: string = denoJson.version;

/**
 * The git commit an artifact was built from: build.ts replaces this literal in the offline bundle
 * it ships (its COMMIT_PLACEHOLDER, which must stay equal to this). Left as it is, the program
 * runs from a checkout and asks git.
 */
const BAKED_COMMIT: string = "@SSSONECTOR_BUILD_COMMIT@";

/**
 * The commit this program was built from: the baked one in a bundle, else `git rev-parse` of the
 * checkout the module lives in (with "-dirty" when tracked files changed), else "unknown".
 */
export function buildCommit(): string {
  // Compared by prefix, not with the whole placeholder, which build.ts would replace too.
  if (!BAKED_COMMIT.startsWith("@SSSONECTOR_")) return BAKED_COMMIT;
  const here = new URL(".", import.meta.url);
  if (here.protocol !== "file:") return "unknown";
  const git = (args: string[]) => {
    try {
      const out = new Deno.Command("git", {
        args: ["-C", decodeURIComponent(here.pathname), ...args],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).outputSync();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
    } catch {
      return undefined; // no git on PATH
    }
  };
  const commit = git(["rev-parse", "--short=12", "HEAD"]);
  if (!commit) return "unknown";
  const changes = git(["status", "--porcelain", "--untracked-files=no"]);
  return changes ? `${commit}-dirty` : commit;
}

/** What `--version` prints: version, commit, Deno version and target, on one line. */
export function versionLine(): string {
  return `sssonector ${VERSION} (commit ${buildCommit()}, deno ${Deno.version.deno}, ` +
    `${Deno.build.target})`;
}
