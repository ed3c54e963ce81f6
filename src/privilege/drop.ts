import { errorMessage } from "../runtime/error_message.ts";
import type { TunLibrary } from "../tun/ffi.ts";
import { errnoText } from "../tun/unwrap.ts";
import { type Account, type AccountSpec, resolveAccount } from "./accounts.ts";
import { PrivilegeError } from "./errors.ts";
import { readThreadCredentials, type ThreadCredentials } from "./thread_credentials.ts";

/** The part of the shim the drop needs (the loaded TunLibrary, or a fake in unit tests). */
export interface PrivilegeLibrary {
  readonly symbols: Pick<TunLibrary["symbols"], "sss_drop_privileges" | "sss_strerror">;
}

export interface DropOptions {
  /** @default "/etc/passwd" */
  readonly passwdPath?: string;
  /** @default "/etc/group" */
  readonly groupPath?: string;
  /** Reads the threads' credentials after the drop. @default readThreadCredentials("self") */
  readonly threads?: () => Promise<ThreadCredentials[]>;
  /** Runs with the resolved account just before the drop (e.g. hand the log file over). */
  readonly beforeDrop?: (account: Account) => Promise<void>;
}

/** native/privilege.h's SSS_PRIV_STAGE_*, as the operator reads them. */
const STAGES: Record<number, string> = {
  1: "setgroups",
  2: "setresgid",
  3: "setresuid",
  4: "checking the new ids",
  5: "PR_SET_NO_NEW_PRIVS",
  6: "installing the seccomp filter",
};
const STAGE_UID = 3;
const EPERM = 1;
const NO_CAPABILITIES = "0000000000000000";

async function readAccountFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new PrivilegeError(`cannot drop privileges: cannot read ${path}: ${errorMessage(error)}`);
  }
}

/**
 * Becomes `spec.user` / `spec.group` for good, on every thread of the process: supplementary
 * groups, gid and uid through the shim, then NoNewPrivs and the seccomp filter (native/privilege.c
 * lists what it refuses). Call it once setup is done: after the TUN device is open and configured,
 * the port bound and the log file open; what runs after it can no longer do any of that. Verifies
 * every thread in /proc afterwards and resolves to the account it became.
 *
 * Throws PrivilegeError (one line for the operator) when the account is unknown or uid 0, when a
 * step fails, or when a thread kept anything. After a failure the process may be half-dropped:
 * stop it.
 */
export async function dropPrivileges(
  lib: PrivilegeLibrary,
  spec: AccountSpec,
  options: DropOptions = {},
): Promise<Account> {
  const passwdPath = options.passwdPath ?? "/etc/passwd";
  const groupPath = options.groupPath ?? "/etc/group";
  const account = resolveAccount(spec, {
    passwd: await readAccountFile(passwdPath),
    group: await readAccountFile(groupPath),
    passwdPath,
    groupPath,
  });
  const who = `${account.user}:${account.group} (uid ${account.uid}, gid ${account.gid})`;
  if (account.uid === 0) {
    throw new PrivilegeError(`cannot drop privileges to ${who}: uid 0 is root, that is no drop`);
  }
  await options.beforeDrop?.(account);

  const err = new Int32Array(2);
  const rc = lib.symbols.sss_drop_privileges(
    account.uid,
    account.gid,
    Uint32Array.from(account.groups),
    account.groups.length,
    err,
  );
  if (rc < 0) {
    const stage = err[1]!;
    const errno = -rc;
    let message = `cannot drop privileges to ${who}: ${STAGES[stage] ?? `stage ${stage}`}: ` +
      errnoText(lib, rc);
    if (errno === EPERM && stage <= STAGE_UID) {
      message += "; start as root (changing user needs CAP_SETUID and CAP_SETGID)";
    } else if (stage > STAGE_UID) {
      message += "; the ids are dropped but the process is not locked down: stop it";
    }
    throw new PrivilegeError(message, errno);
  }

  const threads = await (options.threads ?? readThreadCredentials)();
  for (const thread of threads) {
    const kept = keptPrivilege(thread, account);
    if (kept) {
      throw new PrivilegeError(
        `privileges were not dropped on every thread: thread ${thread.tid} (${thread.name}) ${kept}`,
      );
    }
  }
  return account;
}

/** What a thread still has that the drop should have taken, or undefined. */
function keptPrivilege(thread: ThreadCredentials, account: Account): string | undefined {
  if (thread.uid.some((id) => id !== account.uid)) return `has uids ${thread.uid.join(" ")}`;
  if (thread.gid.some((id) => id !== account.gid)) return `has gids ${thread.gid.join(" ")}`;
  if (thread.capEff !== NO_CAPABILITIES || thread.capPrm !== NO_CAPABILITIES) {
    return `has capabilities (CapEff ${thread.capEff}, CapPrm ${thread.capPrm})`;
  }
  if (thread.noNewPrivs !== 1) return "has NoNewPrivs 0";
  if (thread.seccomp !== 2) return `has no seccomp filter (Seccomp ${thread.seccomp})`;
  return undefined;
}
