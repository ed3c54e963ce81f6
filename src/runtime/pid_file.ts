/**
 * The optional pid file (`pid_file:`): the process id, one line, written once the tunnel is up
 * (mode 0644: logrotate's and cron's `kill -HUP $(cat FILE)` read it) and removed at exit. The
 * removal happens after the privilege drop, so the run user needs write access to the file's
 * folder (e.g. /run/sssonector owned by it); otherwise the file stays and the failure is logged.
 *
 * @module
 */

import { describeFileError } from "../base/file_errors.ts";

/** A written pid file; disposing removes it. */
export class PidFile {
  readonly path: string;
  readonly #onRemoveError: (message: string) => void;
  #removed = false;

  private constructor(path: string, onRemoveError: (message: string) => void) {
    this.path = path;
    this.#onRemoveError = onRemoveError;
  }

  /**
   * Writes `pid` into `path` (replacing a stale file whole, by a rename).
   *
   * @throws {Error} one line naming the file and the reason.
   */
  static async write(
    path: string,
    pid: number,
    onRemoveError: (message: string) => void,
  ): Promise<PidFile> {
    const temporary = `${path}.${pid}.tmp`;
    try {
      await Deno.writeTextFile(temporary, `${pid}\n`, { mode: 0o644 });
      await Deno.chmod(temporary, 0o644);
      await Deno.rename(temporary, path);
    } catch (error) {
      await Deno.remove(temporary).catch(() => {});
      throw new Error(
        `Cannot write the pid file ${path} (pid_file): ${describeFileError(error)}`,
        { cause: error },
      );
    }
    return new PidFile(path, onRemoveError);
  }

  /** Removes the file, once; a failure is reported to the callback, never thrown. */
  async remove(): Promise<void> {
    if (this.#removed) return;
    this.#removed = true;
    try {
      await Deno.remove(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      this.#onRemoveError(
        `cannot remove the pid file ${this.path}: ${describeFileError(error)}; give its folder ` +
          "to the run user (e.g. pid_file: /run/sssonector/sssonector.pid with " +
          "install -d -o sssonector -g sssonector /run/sssonector)",
      );
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove();
  }
}
