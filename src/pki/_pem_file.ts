/** Reading one PEM file: the one place that turns a path into text and decoded blocks. */

import { PkiError } from "./errors.ts";
import { decodePem, type PemBlock } from "./pem.ts";
import { errorMessage } from "../base/error_message.ts";

/** A PEM file as read: its exact text (what TLS is given) and its decoded blocks. */
export interface PemFile {
  readonly path: string;
  readonly text: string;
  /** Every block of the text, in order; empty when the text holds none. */
  readonly blocks: readonly PemBlock[];
}

/** A PEM file could not be read or decoded; `detail` is the message without the path. */
export class PemFileError extends PkiError {
  /** E.g. `cannot read the file: no such file`. */
  readonly detail: string;

  constructor(path: string, detail: string, cause?: unknown) {
    super(`${path}: ${detail}`, { path, cause });
    this.name = "PemFileError";
    this.detail = detail;
  }
}

/**
 * Read `path` and decode its PEM blocks.
 *
 * @throws {PemFileError} When the file cannot be read, or a block is malformed.
 */
export async function readPemFile(path: string): Promise<PemFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new PemFileError(path, `cannot read the file: ${readErrorDetail(error)}`, error);
  }
  try {
    return { path, text, blocks: decodePem(text) };
  } catch (error) {
    throw new PemFileError(path, `not a valid PEM file: ${errorMessage(error)}`, error);
  }
}

/** The distinct labels of `blocks`, for messages: `CERTIFICATE, PRIVATE KEY`. */
export function labelsOf(blocks: readonly PemBlock[]): string {
  return [...new Set(blocks.map((b) => b.label))].join(", ");
}

function readErrorDetail(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "it is a folder";
  return errorMessage(error);
}
