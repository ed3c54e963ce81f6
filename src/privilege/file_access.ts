/**
 * Whether the run user will be able to read a file again after the drop, found from the file's
 * and its folders' owners and modes, while the process is still root (`--check-config`, and the
 * start before the drop): a certificate reload (SIGHUP) re-reads every certificate file as the run
 * user, and a file only root can read makes that reload fail months later.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import type { SecurityConfig } from "../config/types.ts";
import { type Account, resolveAccount } from "../account/accounts.ts";
import { reloadedFiles, runAsFor } from "./apply.ts";
import { type AccountPaths, readDefaultRunUser } from "../account/run_account.ts";

/** Owner, group and permission bits of a file or folder. */
export interface Ownership {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

/** Whether `account` has `bit` (4 read, 1 search) on something of `owner`, as the kernel decides. */
export function permits(
  account: Pick<Account, "uid" | "gid" | "groups">,
  owner: Ownership,
  bit: 4 | 1,
): boolean {
  if (account.uid === owner.uid) return (owner.mode & (bit << 6)) !== 0;
  if (account.gid === owner.gid || account.groups.includes(owner.gid)) {
    return (owner.mode & (bit << 3)) !== 0;
  }
  return (owner.mode & bit) !== 0;
}

/**
 * Why `account` could not read `path`, or undefined when it can: the first folder it cannot
 * search, or the file it cannot read. Files that do not exist are left to other checks.
 */
export async function readProblem(
  path: string,
  account: Pick<Account, "uid" | "gid" | "groups">,
  stat: (path: string) => Promise<Ownership> = statOwnership,
): Promise<string | undefined> {
  const full = resolve(path);
  const folders: string[] = [];
  for (let dir = dirname(full);; dir = dirname(dir)) {
    folders.unshift(dir);
    if (dir === dirname(dir)) break;
  }
  try {
    for (const dir of folders) {
      const owner = await stat(dir);
      if (!permits(account, owner, 1)) return `cannot enter the folder ${dir} (${describe(owner)})`;
    }
    const owner = await stat(full);
    if (!permits(account, owner, 4)) return `cannot read it (${describe(owner)})`;
  } catch {
    return undefined;
  }
  return undefined;
}

function describe(owner: Ownership): string {
  return `uid ${owner.uid}, gid ${owner.gid}, mode 0${(owner.mode & 0o7777).toString(8)}`;
}

async function statOwnership(path: string): Promise<Ownership> {
  const info = await Deno.stat(path);
  return { uid: info.uid ?? 0, gid: info.gid ?? 0, mode: info.mode ?? 0 };
}

/**
 * One warning per certificate file the run user will not be able to re-read on SIGHUP, with the
 * fix (the group of the run user on the file and its folder, keys 0640, folders 0750).
 */
export async function reloadReadWarnings(
  tls: SecurityConfig["tls"],
  account: Account,
  stat?: (path: string) => Promise<Ownership>,
): Promise<string[]> {
  const warnings: string[] = [];
  for (const { key, file } of reloadedFiles(tls)) {
    const problem = await readProblem(file, account, stat);
    if (problem === undefined) continue;
    const mode = key === "security.tls.key_file" ? "0640" : "0644";
    warnings.push(
      `${key} ${file}: the run user ${account.user}:${account.group} ${problem}, so a ` +
        "certificate reload (SIGHUP) would be refused; fix with: " +
        `chgrp ${account.group} ${file} ${dirname(resolve(file))} && chmod ${mode} ${file} && ` +
        `chmod 0750 ${dirname(resolve(file))}`,
    );
  }
  return warnings;
}

/**
 * The warnings of {@linkcode reloadReadWarnings} for the account this configuration runs as,
 * from a process that will drop root (none when it keeps its uid or the account is unknown: the
 * account check reports that).
 */
export async function runUserReadWarnings(
  security: SecurityConfig,
  uid: number,
  paths: AccountPaths = {},
): Promise<string[]> {
  const passwdPath = paths.passwdPath ?? "/etc/passwd";
  const groupPath = paths.groupPath ?? "/etc/group";
  const decision = runAsFor(security, uid, await readDefaultRunUser({ passwdPath }));
  if (decision.kind === "keep") return [];
  let account: Account;
  try {
    account = resolveAccount(decision.spec, {
      passwd: await Deno.readTextFile(passwdPath),
      group: await Deno.readTextFile(groupPath),
    });
  } catch {
    return [];
  }
  return await reloadReadWarnings(security.tls, account);
}
