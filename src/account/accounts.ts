/**
 * Users and groups by name, from /etc/passwd and /etc/group (Deno has no getpwnam): the run user
 * of `security.user` / `security.group` resolved to the ids the shim needs. Only the files are
 * read, as `getent` would with "files" in nsswitch.conf; NIS/LDAP accounts are not looked up.
 */

/**
 * A user or group named in the configuration is not in the account files; `message` is one line
 * for the operator.
 */
export class AccountError extends Error {
  override name = "AccountError";
}

/** One line of /etc/passwd. */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** One line of /etc/group. */
export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

/** Whom to become: a user and, optionally, a group, each a name or a numeric id. */
export interface AccountSpec {
  readonly user: string;
  /** @default the user's primary group from /etc/passwd */
  readonly group?: string;
}

/** A resolved account: the ids to switch to, and names for messages. */
export interface Account {
  readonly user: string;
  readonly uid: number;
  readonly group: string;
  readonly gid: number;
  /** Supplementary groups: the primary group, then every group listing the user as a member. */
  readonly groups: readonly number[];
}

/** The two files' contents, and their paths for messages. */
export interface AccountFiles {
  readonly passwd: string;
  readonly group: string;
  /** @default "/etc/passwd" */
  readonly passwdPath?: string;
  /** @default "/etc/group" */
  readonly groupPath?: string;
}

const ID = /^\d{1,10}$/;
/** Largest id: (uid_t)-1 is "no change" to setresuid, so it is never a real id. */
const MAX_ID = 0xfffffffe;

function parseId(text: string | undefined): number | undefined {
  if (text === undefined || !ID.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_ID ? id : undefined;
}

/** The well-formed entries of an /etc/passwd text (comments, NIS `+`/`-` and bad lines skipped). */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    const [name, , uidText, gidText] = fields;
    if (fields.length < 7 || !name || /^[#+-]/.test(name)) continue;
    const uid = parseId(uidText), gid = parseId(gidText);
    if (uid === undefined || gid === undefined) continue;
    entries.push({ name, uid, gid });
  }
  return entries;
}

/** The well-formed entries of an /etc/group text. */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    const [name, , gidText, memberText] = fields;
    if (fields.length !== 4 || !name || /^[#+-]/.test(name)) continue;
    const gid = parseId(gidText);
    if (gid === undefined) continue;
    const members = (memberText ?? "").split(",").map((m) => m.trim()).filter((m) => m !== "");
    entries.push({ name, gid, members });
  }
  return entries;
}

/**
 * Resolves whom to become. A name must exist in its file; a numeric id need not (a user id
 * without a passwd line then needs an explicit group). The first matching line wins, as in libc.
 */
export function resolveAccount(spec: AccountSpec, files: AccountFiles): Account {
  const passwdPath = files.passwdPath ?? "/etc/passwd";
  const groupPath = files.groupPath ?? "/etc/group";
  const users = parsePasswd(files.passwd);
  const groups = parseGroup(files.group);

  const userId = parseId(spec.user);
  const userEntry = userId === undefined
    ? users.find((u) => u.name === spec.user)
    : users.find((u) => u.uid === userId);
  if (!userEntry && userId === undefined) {
    throw new AccountError(`unknown user "${spec.user}": it is not in ${passwdPath}`);
  }
  const uid = userEntry?.uid ?? userId!;
  const user = userEntry?.name ?? spec.user;

  let gid: number;
  let group: string;
  if (spec.group === undefined) {
    if (!userEntry) {
      throw new AccountError(
        `user id ${uid} is not in ${passwdPath}, so it has no primary group: name the group too`,
      );
    }
    gid = userEntry.gid;
    group = groups.find((g) => g.gid === gid)?.name ?? String(gid);
  } else {
    const groupId = parseId(spec.group);
    const groupEntry = groupId === undefined
      ? groups.find((g) => g.name === spec.group)
      : groups.find((g) => g.gid === groupId);
    if (!groupEntry && groupId === undefined) {
      throw new AccountError(`unknown group "${spec.group}": it is not in ${groupPath}`);
    }
    gid = groupEntry?.gid ?? groupId!;
    group = groupEntry?.name ?? spec.group;
  }

  const supplementary = [gid];
  for (const entry of groups) {
    if (entry.members.includes(user) && !supplementary.includes(entry.gid)) {
      supplementary.push(entry.gid);
    }
  }
  return { user, uid, group, gid, groups: supplementary };
}
