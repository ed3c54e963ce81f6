/**
 * The account a tunnel started as root runs as once set up, when `security.user` does not say:
 * the dedicated system user `sssonector` when the host has one (the .deb creates it; the
 * deployment guide's `useradd --system` line does on other hosts), else `nobody`, so that a plain
 * install without that user still drops root.
 *
 * `nobody` is the fallback only: it is shared with other daemons and NFS's squashed root, and any
 * process of that uid may signal the tunnel or lower its limits with `prlimit`
 * (docs/guide/deployment.md).
 *
 * @module
 */

import { type Account, parseGroup, parsePasswd, resolveAccount } from "./accounts.ts";

/** The dedicated system user (and group) the package creates. */
export const DEDICATED_USER = "sssonector";
/** Who runs the tunnel when the host has no dedicated user. */
export const FALLBACK_USER = "nobody";

/** The default run user for an /etc/passwd text: the dedicated user when listed, else nobody. */
export function defaultRunUser(passwd: string): string {
  return parsePasswd(passwd).some((entry) => entry.name === DEDICATED_USER)
    ? DEDICATED_USER
    : FALLBACK_USER;
}

/** The paths of the account files. */
export interface AccountPaths {
  /** @default "/etc/passwd" */
  readonly passwdPath?: string;
  /** @default "/etc/group" */
  readonly groupPath?: string;
}

/** The default run user read from the host's /etc/passwd; nobody when it cannot be read. */
export async function readDefaultRunUser(paths: AccountPaths = {}): Promise<string> {
  try {
    return defaultRunUser(await Deno.readTextFile(paths.passwdPath ?? "/etc/passwd"));
  } catch {
    return FALLBACK_USER;
  }
}

/**
 * The default run account with its group, for the files made for it (certificate folders and
 * keys readable by its group); undefined when neither the dedicated user nor nobody resolves.
 */
export async function readDefaultRunAccount(
  paths: AccountPaths = {},
): Promise<Account | undefined> {
  const passwdPath = paths.passwdPath ?? "/etc/passwd";
  const groupPath = paths.groupPath ?? "/etc/group";
  try {
    const passwd = await Deno.readTextFile(passwdPath);
    const group = await Deno.readTextFile(groupPath);
    if (parseGroup(group).length === 0) return undefined;
    return resolveAccount({ user: defaultRunUser(passwd) }, {
      passwd,
      group,
      passwdPath,
      groupPath,
    });
  } catch {
    return undefined;
  }
}
