/**
 * Least privilege: drop root for good once setup is done, verified on every thread.
 *
 * ```ts
 * const lib = loadTunLibrary();
 * const tun = TunDevice.open(options, lib);   // needs CAP_NET_ADMIN: before the drop
 * const account = await dropPrivileges(lib, { user: "nobody", group: "nogroup" });
 * ```
 */
export { type Account, type AccountSpec, resolveAccount } from "./accounts.ts";
export {
  type DropOptions,
  type DroppedAccount,
  dropPrivileges,
  type PrivilegeLibrary,
} from "./drop.ts";
export { PrivilegeError } from "./errors.ts";
export {
  readOwnThreadCredentials,
  readThreadCredentials,
  type ThreadCredentials,
  type ThreadStatusLibrary,
} from "./thread_credentials.ts";
export {
  applyLeastPrivilege,
  DEFAULT_RUN_USER,
  type RunAsDecision,
  runAsFor,
  unreadableAfterDrop,
} from "./apply.ts";
