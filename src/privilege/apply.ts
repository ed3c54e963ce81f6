/**
 * The privilege drop as a tunnel applies it, from `security.user` / `security.group`: main calls
 * {@linkcode applyLeastPrivilege} once setup is done (TUN open, port bound, log file open,
 * certificates loaded), and it decides whether to drop, drops, says so in the log, and warns
 * about every certificate file the run user cannot read (a SIGHUP reload would be refused).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { SecurityConfig } from "../config/types.ts";
import { describeFileError } from "../base/file_errors.ts";
import { AccountError, type AccountSpec, resolveAccount } from "../account/accounts.ts";
import { PrivilegeError } from "./errors.ts";
import type { DropSymbols, ThreadStatusSymbols } from "../native/privilege.ts";
import { type DropOptions, dropPrivileges } from "./drop.ts";
import { readOwnThreadCredentials } from "./thread_credentials.ts";
import { DEDICATED_USER, FALLBACK_USER, readDefaultRunUser } from "../account/run_account.ts";

/**
 * Who runs the tunnel once set up when `security.user` is not given and it starts as root: the
 * dedicated system user when the host has one, else nobody (run_account.ts).
 */
export const DEFAULT_RUN_USER = `${DEDICATED_USER} (or ${FALLBACK_USER} without that user)`;

/** What to do after setup: drop to an account, or stay as we are (and why). */
export type RunAsDecision =
  | { readonly kind: "drop"; readonly spec: AccountSpec }
  | { readonly kind: "keep"; readonly message: string; readonly warn: boolean };

/**
 * Decides from the configuration and the uid the process runs as. Root drops to `security.user`
 * (default `defaultUser`: sssonector when the host has it, else nobody) and `security.group` (default the user's primary group); `security.user:
 * root` (or 0) keeps root, with a warning. A process that is not root has nothing to drop unless
 * the configuration names a user, which is then attempted (and fails clearly without the
 * capabilities to change user).
 */
export function runAsFor(
  security: Pick<SecurityConfig, "user" | "group">,
  uid: number,
  defaultUser: string = FALLBACK_USER,
): RunAsDecision {
  const { user, group } = security;
  if (user === "root" || user === "0") {
    return {
      kind: "keep",
      warn: true,
      message: "security.user is root: the tunnel keeps every root privilege after setup; " +
        `remove the key to run as ${defaultUser}`,
    };
  }
  if (uid !== 0 && user === undefined) {
    return {
      kind: "keep",
      warn: false,
      message: `running as uid ${uid}, not root: no privileges to drop`,
    };
  }
  const spec: AccountSpec = group === undefined
    ? { user: user ?? defaultUser }
    : { user: user ?? defaultUser, group };
  return { kind: "drop", spec };
}

/**
 * Checks before setup that the account the tunnel will become exists, so that a typo in
 * `security.user` / `security.group` is a configuration error (exit 2) and not a failure after
 * the TUN device is up. Returns the problem, one line, or undefined.
 */
export async function runAccountProblem(
  security: Pick<SecurityConfig, "user" | "group">,
  uid: number,
  files: {
    readonly passwdPath?: string;
    readonly groupPath?: string;
    /** The private key: readable by a group, that group must be the run group. */
    readonly keyFile?: string;
  } = {},
): Promise<string | undefined> {
  const passwdPath = files.passwdPath ?? "/etc/passwd";
  const groupPath = files.groupPath ?? "/etc/group";
  const decision = runAsFor(security, uid, await readDefaultRunUser({ passwdPath }));
  if (decision.kind === "keep") return undefined;
  try {
    const account = resolveAccount(decision.spec, {
      passwd: await Deno.readTextFile(passwdPath),
      group: await Deno.readTextFile(groupPath),
      passwdPath,
      groupPath,
    });
    if (account.uid === 0) {
      return `security.user: ${account.user} is uid 0, that is root: write "root" to keep root`;
    }
    return files.keyFile === undefined ? undefined : await keyGroupProblem(files.keyFile, account);
  } catch (error) {
    const key = /group/.test(String(error)) && security.group !== undefined
      ? "security.group"
      : "security.user";
    const reason = error instanceof AccountError || error instanceof PrivilegeError
      ? error.message
      : describeFileError(error);
    return `${key}: ${reason}`;
  }
}

/**
 * A private key readable by its group is fine only when that group is the one the tunnel runs
 * as (how the dropped process re-reads it on SIGHUP); any other group could read the key.
 */
export async function keyGroupProblem(
  keyFile: string,
  account: { readonly group: string; readonly gid: number },
): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(keyFile);
  } catch {
    return undefined; // the certificate checks name a missing or unreadable key
  }
  const mode = info.mode ?? 0;
  // Readable by others is refused by the certificate checks, with its own chmod.
  if ((mode & 0o004) !== 0 || (mode & 0o040) === 0 || info.gid === account.gid) return undefined;
  return `security.tls.key_file ${keyFile} is readable by group ${info.gid} (mode 0${
    (mode & 0o777).toString(8)
  }), not by the run group ${account.group} (${account.gid}) alone; fix with: chgrp ${account.group} ${keyFile} (or chmod 600 ${keyFile})`;
}

/** The files a certificate reload reads again, with their configuration keys. */
export function reloadedFiles(
  tls: SecurityConfig["tls"],
): Array<{ readonly key: string; readonly file: string }> {
  return [
    { key: "security.tls.cert_file", file: tls.certFile },
    { key: "security.tls.key_file", file: tls.keyFile },
    { key: "security.tls.ca_file", file: tls.caFile },
    ...(tls.crlFile === undefined ? [] : [{ key: "security.tls.crl_file", file: tls.crlFile }]),
  ];
}

/** One warning line per reloaded file this process cannot open for reading any more. */
export async function unreadableAfterDrop(
  tls: SecurityConfig["tls"],
  who: { readonly user: string; readonly group: string },
): Promise<string[]> {
  const warnings: string[] = [];
  for (const { key, file } of reloadedFiles(tls)) {
    try {
      (await Deno.open(file, { read: true })).close();
    } catch (error) {
      const mode = key === "security.tls.key_file" ? "640" : "644";
      warnings.push(
        `${who.user}:${who.group} cannot read ${key} ${file} (${describeFileError(error)}): a ` +
          "certificate reload (SIGHUP) will be refused and keep the current set; fix with: " +
          `chgrp ${who.group} ${file} && chmod ${mode} ${file}, and make its folders searchable`,
      );
    }
  }
  return warnings;
}

/**
 * Drops privileges as the configuration says, logs the outcome, and warns about files a reload
 * would not be able to read.
 *
 * @throws {PrivilegeError} one line for the operator; the process must then stop.
 */
export async function applyLeastPrivilege(
  lib: DropSymbols & ThreadStatusSymbols,
  security: SecurityConfig,
  log: Logger,
  options: DropOptions & { readonly uid?: number } = {},
): Promise<void> {
  const decision = runAsFor(
    security,
    options.uid ?? Deno.uid() ?? -1,
    await readDefaultRunUser(
      options.passwdPath === undefined ? {} : { passwdPath: options.passwdPath },
    ),
  );
  if (decision.kind === "keep") {
    if (decision.warn) log.warn("{message}", { message: decision.message });
    else log.info("{message}", { message: decision.message });
    return;
  }
  const account = await dropPrivileges(lib, decision.spec, {
    // Through the shim: the tunnel's Deno permissions do not reach /proc/self.
    threads: () => Promise.resolve(readOwnThreadCredentials(lib)),
    ...options,
  });
  if (account.netAdminTask === undefined) {
    log.info(
      "dropped privileges to {user}:{group} (uid {uid}, gid {gid}): every thread without " +
        "capabilities, with NoNewPrivs and the seccomp filter",
      { ...account },
    );
  } else {
    log.info(
      "dropped privileges to {user}:{group} (uid {uid}, gid {gid}): every thread without " +
        "capabilities, with NoNewPrivs and the seccomp filter, but one: thread {netAdminTask} " +
        "of the shim keeps CAP_NET_ADMIN and only adds and removes routes: {reason}",
      { ...account, reason: options.keepNetAdmin },
    );
  }
  for (const message of await unreadableAfterDrop(security.tls, account)) {
    log.warn("{message}", { message });
  }
}
