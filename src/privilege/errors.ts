/**
 * Dropping privileges failed or could not be verified; `message` is one line meant for the
 * operator. `errno` is set when a system call failed.
 */
export class PrivilegeError extends Error {
  override name = "PrivilegeError";
  constructor(message: string, readonly errno?: number) {
    super(message);
  }
}
