/**
 * Private key files must not be open to others, as ssh insists for its keys. Refused: any
 * permission for others (mode & 0o007) and write permission for the group. Allowed: read for the
 * group (0640), so a key can be shared with a service group; once the tool drops privileges to a
 * configured group, group read will be allowed only for that group.
 *
 * @module
 */

import { errorMessage } from "../base/error_message.ts";
import { readDefaultRunAccount } from "../account/run_account.ts";

/**
 * Why a key file of `mode` is too open, with the command that fixes it, or undefined when it is
 * fine: `is readable by others (mode 0644); fix with: chmod 640 /x/server.key && chgrp sssonector …`.
 */
export function keyModeProblem(
  path: string,
  mode: number,
  runGroup = "sssonector",
): string | undefined {
  const bits = mode & 0o777;
  const octal = bits.toString(8).padStart(4, "0");
  if (bits & 0o007) {
    const what = bits & 0o004 ? "readable" : bits & 0o002 ? "writable" : "usable";
    return `is ${what} by others (mode ${octal}); fix with: chmod 640 ${path} && ` +
      `chgrp ${runGroup} ${path} (the tunnel's run group, which re-reads it on SIGHUP)`;
  }
  if (bits & 0o020) {
    return `is writable by its group (mode ${octal}); fix with: chmod 640 ${path}`;
  }
  return undefined;
}

/**
 * The problem with the permissions of the key file at `path`, phrased for `label` (e.g. the
 * configuration key `security.tls.key_file`), or undefined when they are fine. A file that cannot
 * be looked at is left to the reader to report.
 */
export async function checkKeyFileMode(path: string, label: string): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    return `${label} ${path}: cannot check its permissions: ${errorMessage(error)}`;
  }
  if (info.mode === null) return undefined; // no Unix permissions on this system
  // The fix names the group of this host's run user (sssonector, or nogroup without it).
  const group = (await readDefaultRunAccount())?.group;
  const problem = keyModeProblem(path, info.mode, group);
  return problem === undefined ? undefined : `${label} ${path} ${problem}`;
}
