import denoJson from "../../deno.json" with { type: "json" };

/** The release version, from deno.json. */
export const VERSION: string = denoJson.version;

/**
 * The git commit an artifact was built from: build.ts replaces this literal in the offline bundle
 * it ships (its COMMIT_PLACEHOLDER, which must stay equal to this). Left as it is, the program
 * runs from a checkout and asks git.
 */
const BAKED_COMMIT: string = "@SSSONECTOR_BUILD_COMMIT@";

/**
 * The commit this program was built from: the baked one in a bundle, else $SSSONECTOR_COMMIT
 * (the checkout launcher sets it from git, with "-dirty" for uncommitted changes; the program
 * itself may not run git: it has no run permission), else "unknown".
 */
export function buildCommit(): string {
  // Compared by prefix, not with the whole placeholder, which build.ts would replace too.
  if (!BAKED_COMMIT.startsWith("@SSSONECTOR_")) return BAKED_COMMIT;
  try {
    return Deno.env.get("SSSONECTOR_COMMIT") || "unknown";
  } catch {
    return "unknown"; // environment access already revoked
  }
}

/** What `--version` prints: version, commit, Deno version and target, on one line. */
export function versionLine(): string {
  return `sssonector ${VERSION} (commit ${buildCommit()}, deno ${Deno.version.deno}, ` +
    `${Deno.build.target})`;
}
