import { errorMessage } from "./error_message.ts";

/** Why a file operation failed, in a few words for a one-line error message. */
export function describeFileError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "not found";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) return "not allowed by Deno's permissions";
  if (error instanceof Deno.errors.IsADirectory) return "it is a folder, not a file";
  if (error instanceof Deno.errors.InvalidData) return "it is not UTF-8 text";
  return errorMessage(error);
}
