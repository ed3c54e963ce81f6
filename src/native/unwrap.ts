/**
 * The shim's return conventions, checked in one place: every call of native/*.c that can fail
 * either returns an int32 that is a value (>= 0) or a negative errno, or returns a handle that is
 * NULL on failure with the negative errno in an `err` out-parameter. `unwrap` turns a failure
 * into a NativeError whose message is meant for the operator.
 */

/**
 * A call of the native shim failed; `message` is meant for the operator, `errno` is the positive
 * errno.
 */
export class NativeError extends Error {
  override name = "NativeError";
  constructor(message: string, readonly errno: number) {
    super(message);
  }
}

/** A failed call as the message needs it: the errno (positive) and its text from the shim. */
export interface Failure {
  readonly errno: number;
  /** strerror of the errno, lower case, e.g. "operation not permitted". */
  readonly reason: string;
}

/**
 * What the operator reads when a call fails: what was being done ("cannot read from tun0"),
 * followed by ": " and the reason; or a function that words the whole message from the failure.
 */
export type FailureMessage = string | ((failure: Failure) => string);

/** The one symbol the helpers need from the shim (a fake library may provide just this). */
export interface ErrnoText {
  readonly symbols: {
    // const char *sss_strerror(int32_t err)
    sss_strerror(err: number): Deno.PointerValue;
  };
}

/** Reported when a NULL handle came without an errno (the shim always sets one). */
const EIO = 5;

/** Texts read by rememberErrnoTexts(), for when reading C strings is no longer allowed. */
const remembered = new Map<number, string>();

/** The shim's text for an errno (negative or positive), lower case; `errno N` if it has none. */
export function errnoText(lib: ErrnoText, err: number): string {
  const errno = Math.abs(err);
  const pointer = lib.symbols.sss_strerror(errno);
  if (pointer === null) return `errno ${errno}`;
  try {
    return Deno.UnsafePointerView.getCString(pointer).toLowerCase();
  } catch {
    // Deno's ffi permission was revoked after setup (src/privilege/runtime_permissions.ts):
    // symbols still run, but C strings can no longer be read.
    return remembered.get(errno) ?? `errno ${errno}`;
  }
}

/**
 * Reads the texts of errno 1..`max` now, so that errnoText() still words errors after the ffi
 * permission is revoked.
 */
export function rememberErrnoTexts(lib: ErrnoText, max = 133): void {
  for (let errno = 1; errno <= max; errno++) remembered.set(errno, errnoText(lib, errno));
}

/**
 * Checks one shim result and returns it, or throws a NativeError worded by `message`:
 * - an int32 `rc`: >= 0 is returned as is, < 0 is a negative errno;
 * - a handle with its `err` out-parameter: a non-NULL handle is returned, NULL fails with the
 *   negative errno in err[0].
 */
export function unwrap(lib: ErrnoText, rc: number, message: FailureMessage): number;
export function unwrap(
  lib: ErrnoText,
  handle: Deno.PointerValue,
  message: FailureMessage,
  err: Int32Array,
): Deno.PointerObject;
export function unwrap(
  lib: ErrnoText,
  result: number | Deno.PointerValue,
  message: FailureMessage,
  err?: Int32Array,
): number | Deno.PointerObject {
  let errno: number;
  if (typeof result === "number") {
    if (result >= 0) return result;
    errno = -result;
  } else {
    if (result !== null) return result;
    const code = err?.[0] ?? 0;
    errno = code < 0 ? -code : EIO;
  }
  const reason = errnoText(lib, errno);
  const text = typeof message === "string" ? `${message}: ${reason}` : message({ errno, reason });
  throw new NativeError(text, errno);
}
