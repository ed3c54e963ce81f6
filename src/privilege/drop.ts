import { errorMessage } from "../base/error_message.ts";
import { DropFlag, DropStage, type DropSymbols } from "../native/privilege.ts";
import { errnoText } from "../native/unwrap.ts";
import {
  type Account,
  AccountError,
  type AccountSpec,
  resolveAccount,
} from "../account/accounts.ts";
import { PrivilegeError } from "./errors.ts";
import { readThreadCredentials, type ThreadCredentials } from "./thread_credentials.ts";

export interface DropOptions {
  /** @default "/etc/passwd" */
  readonly passwdPath?: string;
  /** @default "/etc/group" */
  readonly groupPath?: string;
  /** Reads the threads' credentials after the drop. @default readThreadCredentials("self") */
  readonly threads?: () => Promise<ThreadCredentials[]>;
  /** Runs with the resolved account just before the drop (e.g. hand the log file over). */
  readonly beforeDrop?: (account: Account) => Promise<void>;
  /**
   * Keep CAP_NET_ADMIN for routes that come and go with sessions; the value is the reason, for
   * the log. One thread of the shim keeps it (native/netlink.h, "the netlink agent") and does
   * the route and address calls of src/tun/netlink.ts for every other thread; every other
   * thread, the JavaScript one and those started later included, has no capability.
   * @default undefined: no thread keeps any capability
   */
  readonly keepNetAdmin?: string;
}

/** The account a drop became, and the thread that kept CAP_NET_ADMIN when asked to. */
export interface DroppedAccount extends Account {
  /** Thread id of the one thread with CAP_NET_ADMIN (only with DropOptions.keepNetAdmin). */
  readonly netAdminTask?: number;
}

/** native/privilege.h's SSS_PRIV_STAGE_*, as the operator reads them. */
const STAGES: Record<number, string> = {
  [DropStage.Flags]: "checking the flags",
  [DropStage.Groups]: "setgroups",
  [DropStage.Gid]: "setresgid",
  [DropStage.Uid]: "setresuid",
  [DropStage.Verify]: "checking the new ids",
  [DropStage.NoNewPrivs]: "PR_SET_NO_NEW_PRIVS",
  [DropStage.Seccomp]: "installing the seccomp filter",
  [DropStage.KeepStart]: "starting the thread that keeps CAP_NET_ADMIN",
  [DropStage.KeepLimit]: "limiting that thread to CAP_NET_ADMIN",
};
/** Stages that fail before the uid changes: the process is still what it was. */
const BEFORE_UID_CHANGE = new Set<number>([
  DropStage.Flags,
  DropStage.Groups,
  DropStage.Gid,
  DropStage.Uid,
  DropStage.KeepStart,
]);
const EPERM = 1;
const NO_CAPABILITIES = "0000000000000000";
/** CAP_NET_ADMIN is bit 12 of a capability set. */
const NET_ADMIN_ONLY = (1n << 12n).toString(16).padStart(16, "0");

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
 * With `keepNetAdmin`, the shim's netlink agent keeps CAP_NET_ADMIN (and only that, bounding set
 * included) and the verification expects exactly that on it and nothing on any other thread.
 *
 * Throws PrivilegeError (one line for the operator) when the account is unknown or uid 0, when a
 * step fails, or when a thread kept anything. After a failure the process may be half-dropped:
 * stop it.
 */
export async function dropPrivileges(
  lib: DropSymbols,
  spec: AccountSpec,
  options: DropOptions = {},
): Promise<DroppedAccount> {
  const passwdPath = options.passwdPath ?? "/etc/passwd";
  const groupPath = options.groupPath ?? "/etc/group";
  const passwd = await readAccountFile(passwdPath);
  const group = await readAccountFile(groupPath);
  let account: Account;
  try {
    account = resolveAccount(spec, { passwd, group, passwdPath, groupPath });
  } catch (error) {
    if (error instanceof AccountError) throw new PrivilegeError(error.message);
    throw error;
  }
  const who = `${account.user}:${account.group} (uid ${account.uid}, gid ${account.gid})`;
  if (account.uid === 0) {
    throw new PrivilegeError(`cannot drop privileges to ${who}: uid 0 is root, that is no drop`);
  }
  await options.beforeDrop?.(account);

  const keep = options.keepNetAdmin !== undefined;
  const err = new Int32Array(2);
  const rc = lib.symbols.sss_drop_privileges(
    account.uid,
    account.gid,
    Uint32Array.from(account.groups),
    account.groups.length,
    keep ? DropFlag.KeepNetAdmin : 0,
    err,
  );
  if (rc < 0) {
    const stage = err[1]!;
    const errno = -rc;
    let message = `cannot drop privileges to ${who}: ${STAGES[stage] ?? `stage ${stage}`}: ` +
      errnoText(lib, rc);
    if (errno === EPERM && BEFORE_UID_CHANGE.has(stage)) {
      message += "; start as root (changing user needs CAP_SETUID and CAP_SETGID)";
    } else if (!BEFORE_UID_CHANGE.has(stage)) {
      message += "; the ids are dropped but the process is not locked down: stop it";
    }
    throw new PrivilegeError(message, errno);
  }

  const keeper = keep ? lib.symbols.sss_netlink_agent_tid() : 0;
  if (keep && keeper <= 0) {
    throw new PrivilegeError(
      "privileges were dropped but no thread kept CAP_NET_ADMIN: routes cannot change; stop it",
    );
  }
  const threads = await (options.threads ?? readThreadCredentials)();
  if (keep && !threads.some((thread) => thread.tid === keeper)) {
    throw new PrivilegeError(
      `the thread that keeps CAP_NET_ADMIN (task ${keeper}) is not among the process's threads`,
    );
  }
  for (const thread of threads) {
    const kept = keptPrivilege(thread, account, thread.tid === keeper);
    if (kept) {
      throw new PrivilegeError(
        `privileges were not dropped on every thread: thread ${thread.tid} (${thread.name}) ${kept}`,
      );
    }
  }
  return keep ? { ...account, netAdminTask: keeper } : account;
}

/**
 * What a thread still has that the drop should have taken, or undefined. `keeper` is the one
 * thread that must have CAP_NET_ADMIN and nothing else, bounding set included.
 */
function keptPrivilege(
  thread: ThreadCredentials,
  account: Account,
  keeper: boolean,
): string | undefined {
  if (thread.uid.some((id) => id !== account.uid)) return `has uids ${thread.uid.join(" ")}`;
  if (thread.gid.some((id) => id !== account.gid)) return `has gids ${thread.gid.join(" ")}`;
  const expected = keeper ? NET_ADMIN_ONLY : NO_CAPABILITIES;
  if (thread.capEff !== expected || thread.capPrm !== expected) {
    return keeper
      ? `should have CAP_NET_ADMIN alone (CapEff ${thread.capEff}, CapPrm ${thread.capPrm})`
      : `has capabilities (CapEff ${thread.capEff}, CapPrm ${thread.capPrm})`;
  }
  if (thread.capAmb !== NO_CAPABILITIES) {
    return `has ambient capabilities (CapAmb ${thread.capAmb})`;
  }
  if (keeper && (thread.capInh !== NO_CAPABILITIES || thread.capBnd !== NET_ADMIN_ONLY)) {
    return `should have CAP_NET_ADMIN alone (CapInh ${thread.capInh}, CapBnd ${thread.capBnd})`;
  }
  if (thread.noNewPrivs !== 1) return "has NoNewPrivs 0";
  if (thread.seccomp !== 2) return `has no seccomp filter (Seccomp ${thread.seccomp})`;
  return undefined;
}
