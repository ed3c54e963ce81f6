/**
 * Re-reads the certificate set when its files change, so copying a renewed certificate, a new CA
 * or a fresh CRL into place is enough (ghostunnel's timed reload; SIGHUP still works). A bounded
 * poll: every `intervalMs` one stat of each file (certificate, key, CA, CRL: at most four), and
 * when any file's inode, size or modification time differs from the last poll, one
 * CertificateStore.reload(), the same all-or-nothing path as SIGHUP with the same listeners. A
 * poll never overlaps the previous one.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { TlsConfig } from "../config/types.ts";
import type { CertificateStore, ReloadResult } from "./certificate_store.ts";
import { errorMessage } from "../base/error_message.ts";

/** Seconds between polls when `security.tls.reload_interval` is not set. */
export const DEFAULT_RELOAD_INTERVAL_S = 30;

/** What identifies one version of a file: inode, size, modification time; or its absence. */
export function fileVersion(info: Deno.FileInfo | undefined): string {
  if (info === undefined) return "missing";
  return `${info.ino ?? "-"}:${info.size}:${info.mtime?.getTime() ?? "-"}`;
}

export interface FileWatchOptions {
  /** @default DEFAULT_RELOAD_INTERVAL_S * 1000 */
  readonly intervalMs?: number;
  /** @default Deno.stat */
  readonly stat?: (path: string) => Promise<Deno.FileInfo>;
}

/** Polls a few files and calls `onChange` once per poll that finds any of them changed. */
export class FileWatch implements Disposable {
  readonly #files: readonly string[];
  readonly #onChange: () => Promise<void>;
  readonly #stat: (path: string) => Promise<Deno.FileInfo>;
  readonly #intervalMs: number;
  #versions: Map<string, string> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(
    files: readonly string[],
    onChange: () => Promise<void>,
    options: FileWatchOptions = {},
  ) {
    this.#files = files;
    this.#onChange = onChange;
    this.#stat = options.stat ?? Deno.stat;
    this.#intervalMs = options.intervalMs ?? DEFAULT_RELOAD_INTERVAL_S * 1000;
  }

  /** Takes the files' first versions, then polls every interval until disposed. */
  async start(): Promise<void> {
    this.#versions = await this.#read();
    this.#schedule();
  }

  /** One poll: true when a file changed (and `onChange` ran). */
  async poll(): Promise<boolean> {
    const now = await this.#read();
    const before = this.#versions;
    this.#versions = now;
    if (before === undefined) return false;
    const changed = this.#files.some((file) => before.get(file) !== now.get(file));
    if (changed) await this.#onChange();
    return changed;
  }

  [Symbol.dispose](): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      try {
        await this.poll();
      } finally {
        this.#schedule();
      }
    }, this.#intervalMs);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  async #read(): Promise<Map<string, string>> {
    const versions = new Map<string, string>();
    for (const file of this.#files) {
      let info: Deno.FileInfo | undefined;
      try {
        info = await this.#stat(file);
      } catch {
        info = undefined; // missing or unreadable: the reload says which and why
      }
      versions.set(file, fileVersion(info));
    }
    return versions;
  }
}

/**
 * Watches the files of `tls` and reloads `certificates` when they change; logs the reload's own
 * line (a warning when the new files are refused). Nothing when `tls.reloadInterval` is 0.
 */
export function watchCertificateFiles(
  tls: TlsConfig,
  certificates: CertificateStore,
  log: Logger,
): Disposable & { readonly ready: Promise<void> } {
  const seconds = tls.reloadInterval ?? DEFAULT_RELOAD_INTERVAL_S;
  if (seconds === 0) return { ready: Promise.resolve(), [Symbol.dispose]: () => {} };
  const files = [tls.certFile, tls.keyFile, tls.caFile, ...(tls.crlFile ? [tls.crlFile] : [])];
  const watch = new FileWatch(files, async () => {
    let result: ReloadResult;
    try {
      result = await certificates.reload();
    } catch (error) {
      log.warn("certificate files changed, reload failed: {reason}", {
        reason: errorMessage(error),
      });
      return;
    }
    const message = `certificate files changed: ${result.message}`;
    if (result.status === "kept") log.warn("{message}", { message });
    else log.info("{message}", { message });
  }, { intervalMs: seconds * 1000 });
  const ready = watch.start();
  return { ready, [Symbol.dispose]: () => watch[Symbol.dispose]() };
}
