/**
 * The log file as the run user needs it: reopened after a rotation (SIGHUP) by the process that
 * dropped root, and opened again by root at the next start. Owner root, group the run group,
 * mode 0660 satisfies both without any capability beyond what the unit already has: root opens
 * its own file, the run user appends through the group. (Giving the file to the run user instead
 * would need CAP_CHOWN for the hand-over and CAP_DAC_OVERRIDE at the next start; the unit's
 * bounding set has neither.) logrotate's `create 0660 root sssonector` makes the same file.
 *
 * @module
 */

import { describeFileError } from "../base/file_errors.ts";
import type { Account } from "../account/accounts.ts";

/** Mode of the log file: owner root and the run group read and append. */
export const LOG_FILE_MODE = 0o660;

/**
 * Gives the log file at `path` to `account`'s group with mode 0660. Under systemd the unit's
 * `Group=` makes root create the file with that group already, so no chown is needed then.
 *
 * @throws {Error} one line naming the file, the reason and the fix.
 */
export async function shareLogFile(path: string, account: Pick<Account, "group" | "gid">) {
  try {
    const info = await Deno.stat(path);
    if (info.gid !== account.gid) await Deno.chown(path, null, account.gid);
    if (((info.mode ?? 0) & 0o777) !== LOG_FILE_MODE) await Deno.chmod(path, LOG_FILE_MODE);
  } catch (error) {
    throw new Error(
      `Cannot give the log file ${path} to group ${account.group}: ${
        describeFileError(error)
      }; fix with: chown root:${account.group} ${path} && chmod 660 ${path}`,
      { cause: error },
    );
  }
}
