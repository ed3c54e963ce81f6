/** The command line could not be understood; the process should exit with {@linkcode exitCode}. */
export class UsageError extends Error {
  /** Exit status for usage errors. */
  readonly exitCode = 2;

  /** @param message One line naming what is wrong, e.g. `unknown flag "--confg" (did you mean "--config"?)`. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
