/**
 * A certificate problem the user can cause and fix: a missing or unreadable file, a bad option
 * value, a file that would be overwritten. The message is one sentence-case line that names the
 * file or value, fit to print without a stack trace.
 */
export class PkiError extends Error {
  /** The file the problem is about, when there is one. */
  readonly path: string | undefined;

  constructor(message: string, options?: { readonly path?: string; readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PkiError";
    this.path = options?.path;
  }
}
