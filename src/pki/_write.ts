/**
 * Writing certificate files safely: keys never readable by others, not even for a moment, and a
 * replaced file swapped in whole by a rename.
 *
 * Made by root, keys and the certificate folder are shared with the tunnel's run group (the
 * dedicated `sssonector` group, or nogroup on a host without it): key 0640 root:GROUP, folder
 * 0750 root:GROUP, so the process that dropped root can read them again on SIGHUP and nobody
 * else can. Made by another user (who cannot give files to that group), they stay 0600 / 0700.
 */

import type * as pkijs from "pkijs";
import { dirname, join } from "node:path";
import { PkiError } from "./errors.ts";
import { exportPkcs8 } from "./_keys.ts";
import { certificateDer } from "./x509.ts";
import { encodePem } from "./pem.ts";
import { errorMessage } from "../base/error_message.ts";
import { readDefaultRunAccount } from "../account/run_account.ts";

const KEY_MODE = 0o600;
const SHARED_KEY_MODE = 0o640;
const CERT_MODE = 0o644;
const DIR_MODE = 0o700;
const SHARED_DIR_MODE = 0o750;

/** The group keys and folders are shared with: the tunnel's run group. */
export interface RunGroup {
  readonly name: string;
  readonly gid: number;
}

/** A file to write: its path, mode and text, and the group it is shared with (if any). */
export interface PlannedFile {
  readonly path: string;
  readonly mode: number;
  readonly data: string;
  readonly group?: RunGroup;
}

/**
 * The run group of this host's default run user, when this process is root (and so may give
 * files to it); undefined otherwise.
 */
export async function runGroupForFiles(): Promise<RunGroup | undefined> {
  if (Deno.uid() !== 0) return undefined;
  const account = await readDefaultRunAccount();
  return account === undefined ? undefined : { name: account.group, gid: account.gid };
}

/** A private key as a PKCS#8 PEM file: 0640 shared with `group`, else 0600. */
export async function keyFile(
  path: string,
  key: CryptoKey,
  group?: RunGroup,
): Promise<PlannedFile> {
  const data = encodePem("PRIVATE KEY", await exportPkcs8(key));
  return group === undefined
    ? { path, mode: KEY_MODE, data }
    : { path, mode: SHARED_KEY_MODE, data, group };
}

/** A certificate as a PEM file of mode 0644. */
export function certFile(path: string, cert: pkijs.Certificate): PlannedFile {
  return { path, mode: CERT_MODE, data: encodePem("CERTIFICATE", certificateDer(cert)) };
}

/**
 * Write a file that has its final mode before any byte is in it (Deno creates it with `mode` and
 * sets that mode exactly, whatever the umask), so a key is never readable by others even for a
 * moment. Without `replace` the file must not exist (checked by the create itself); with
 * `replace` a temporary file in the same folder is renamed over the old one.
 */
export async function writeFileSafely(file: PlannedFile, replace: boolean): Promise<void> {
  if (!replace) {
    await writeNew(file, file.path);
    return;
  }
  const temporary = await writeTemporary(file);
  await moveInto(temporary, file.path);
}

/**
 * Write `file` beside its destination under a temporary name, ready for {@linkcode moveInto}.
 *
 * @returns The temporary path.
 */
export async function writeTemporary(file: PlannedFile): Promise<string> {
  const temporary = temporaryPath(file.path);
  await writeNew(file, temporary);
  return temporary;
}

/** Rename `temporary` over `path` (atomic within one folder); the temporary is removed on failure. */
export async function moveInto(temporary: string, path: string): Promise<void> {
  try {
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw writeError(path, error);
  }
}

async function writeNew(file: PlannedFile, target: string): Promise<void> {
  const bytes = new TextEncoder().encode(file.data);
  try {
    // Shared with a group: owner-only until the group is the right one, then the final mode.
    const mode = file.group === undefined ? file.mode : file.mode & 0o700;
    await Deno.writeFile(target, bytes, { createNew: true, mode });
    if (file.group !== undefined && await giveToGroup(target, file.group)) {
      await Deno.chmod(target, file.mode);
    }
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new PkiError(
        `Refusing to overwrite ${file.path}: it exists; pass --force to replace it`,
        { path: file.path },
      );
    }
    await Deno.remove(target).catch(() => {});
    throw writeError(file.path, error);
  }
}

function temporaryPath(path: string): string {
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(6)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
  return join(dirname(path), `.${path.slice(dirname(path).length + 1)}.${random}.tmp`);
}

function writeError(path: string, error: unknown): PkiError {
  const detail = errorMessage(error);
  return new PkiError(`Cannot write ${path}: ${detail}`, { path, cause: error });
}

/** Fails when `dir` exists but is not a folder or cannot be looked at; a missing one is fine. */
export async function checkDirectory(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    const detail = errorMessage(error);
    throw new PkiError(`Cannot use the certificate folder ${dir}: ${detail}`, { path: dir });
  }
  if (!info.isDirectory) {
    throw new PkiError(`The certificate folder ${dir} is not a folder`, { path: dir });
  }
}

/** Gives `path` to `group` (owner unchanged); false when that is not allowed. */
async function giveToGroup(path: string, group: RunGroup): Promise<boolean> {
  try {
    await Deno.chown(path, null, group.gid);
    return true;
  } catch {
    return false;
  }
}

/**
 * Create `dir` when missing (parents with the default mode): 0750 shared with `group`, else 0700;
 * keep an existing one.
 */
export async function createDirectory(dir: string, group?: RunGroup): Promise<void> {
  try {
    await Deno.mkdir(dirname(dir), { recursive: true });
    await Deno.mkdir(dir, { mode: DIR_MODE });
    if (group !== undefined && await giveToGroup(dir, group)) {
      await Deno.chmod(dir, SHARED_DIR_MODE);
    }
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return;
    const detail = errorMessage(error);
    throw new PkiError(`Cannot create the certificate folder ${dir}: ${detail}`, { path: dir });
  }
}

/** Whether anything is at `path` (a dangling symlink counts). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    const detail = errorMessage(error);
    throw new PkiError(`Cannot check ${path}: ${detail}`, { path });
  }
}
