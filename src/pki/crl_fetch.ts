/**
 * One CRL for a fleet: fetches the CA's revocation list from a list of URLs (typically other
 * servers' monitoring endpoints, `GET /crl`) at an interval, and applies it through the
 * certificate store's own reload, so that the new list takes effect exactly as a copied file and
 * a SIGHUP would (the server ends the sessions of revoked certificates at once).
 *
 * A fetched list replaces `security.tls.crl_file` only when it verifies against the CA, is
 * current (its nextUpdate ahead) and is not older than the list in use (its cRLNumber, else its
 * thisUpdate, not lower): a stale or forged answer cannot un-revoke anyone. It is written to a
 * file beside crl_file and renamed over it, so crl_file always holds a good list, also across
 * restarts (crl_file's folder must be writable by the run user). A failed fetch keeps the last
 * good list and is counted; the next URL is tried in the same round.
 *
 * Bounds: one fetch at a time, each at most `maxBytes` and `timeoutMs`; URLs at most those the
 * configuration lists.
 *
 * @module
 */

import * as pkijs from "pkijs";
import { dirname, join } from "node:path";
import type { CertificateState, ReloadResult } from "./certificate_store.ts";
import type { TlsConfig } from "../config/types.ts";
import { crlOlderThan, loadRevocationList, type RevocationList } from "./crl.ts";
import { readPemFile } from "./_pem_file.ts";
import { errorMessage } from "../base/error_message.ts";
import { toArrayBuffer } from "./_keys.ts";

/** The store's public surface this needs (a CertificateStore, or a fake). */
export interface CrlStore {
  state(): CertificateState;
  reload(): Promise<ReloadResult>;
}

export interface CrlFetchOptions {
  /** Where to fetch the list, tried in order each round. */
  readonly urls: readonly string[];
  /** Between rounds. */
  readonly intervalMs: number;
  /** security.tls.crl_file: where the list in use lives. */
  readonly crlFile: string;
  /** security.tls.ca_file: the CA the list must be signed by. */
  readonly caFile: string;
  readonly store: CrlStore;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** One fetch, headers and body. @default 10000 */
  readonly timeoutMs?: number;
  /** Largest body accepted. @default 4 MiB */
  readonly maxBytes?: number;
  /** Told the outcome of every round (for the log). */
  readonly onRound?: (outcome: CrlRound) => void;
  /** Where to count (the process counters' `crl`). @default a counters object of its own */
  readonly counters?: CrlFetchCounters;
}

/** What one round did. */
export type CrlRound =
  | { readonly result: "applied"; readonly url: string; readonly message: string }
  | { readonly result: "unchanged"; readonly url: string }
  | { readonly result: "failed"; readonly problems: readonly string[] };

/** Counts for the monitor. */
export interface CrlFetchCounters {
  /** Rounds that ended with a list in use (new or the same). */
  ok: number;
  /** Fetches that failed (per URL). */
  failed: number;
  /** Lists applied. */
  applied: number;
}

export const DEFAULT_CRL_MAX_BYTES = 4 * 1024 * 1024;

export class CrlFetcher {
  readonly counters: CrlFetchCounters;
  readonly #options: CrlFetchOptions;
  readonly #now: () => Date;
  #lastGood: Date | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<CrlRound> | undefined;
  #stopped = false;

  constructor(options: CrlFetchOptions) {
    if (options.urls.length === 0) throw new RangeError("a CRL fetcher needs at least one URL");
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.counters = options.counters ?? { ok: 0, failed: 0, applied: 0 };
  }

  /** When a round last ended with a good list in use, if ever. */
  get lastGood(): Date | undefined {
    return this.#lastGood;
  }

  /** Seconds since the list in use was issued (its thisUpdate); undefined without a list. */
  ageSeconds(now: Date = this.#now()): number | undefined {
    const list = this.#options.store.state().revocation;
    return list ? (now.getTime() - list.thisUpdate.getTime()) / 1000 : undefined;
  }

  /** Fetches now (after the round in progress, if any) and applies what verifies. */
  refresh(): Promise<CrlRound> {
    const previous = this.#running ?? Promise.resolve(undefined);
    const round = previous.then(() => this.#round());
    this.#running = round;
    return round;
  }

  /** A round now, then one every intervalMs until stop(). */
  start(): void {
    const tick = async () => {
      const outcome = await this.refresh();
      this.#options.onRound?.(outcome);
      if (!this.#stopped) this.#timer = setTimeout(tick, this.#options.intervalMs);
    };
    this.#timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }

  async #round(): Promise<CrlRound> {
    const problems: string[] = [];
    for (const url of this.#options.urls) {
      if (this.#stopped) break;
      const outcome = await this.#try(url).catch((error) => errorMessage(error));
      if (typeof outcome === "string") {
        this.counters.failed++;
        problems.push(`${url}: ${outcome}`);
        continue;
      }
      this.counters.ok++;
      this.#lastGood = this.#now();
      return outcome;
    }
    return { result: "failed", problems };
  }

  /** One URL: the round's outcome, or a problem line. */
  async #try(url: string): Promise<CrlRound | string> {
    const pem = await this.#download(url);
    const { crlFile, caFile, store } = this.#options;
    const current = store.state().revocation;
    if (current?.pem === pem) return { result: "unchanged", url };
    const staging = join(dirname(crlFile), `.${crlFile.split("/").pop()}.fetched`);
    try {
      await Deno.writeTextFile(staging, pem, { mode: 0o644 });
    } catch (error) {
      return `cannot write ${staging}: ${errorMessage(error)}; the folder of ` +
        "security.tls.crl_file must be writable by the user the tunnel runs as";
    }
    let renamed = false;
    try {
      const checked = await loadRevocationList(staging, await readCas(caFile), caFile, this.#now());
      if (!checked.list) return checked.problems.join("; ").replaceAll(`${staging}: `, "");
      const older = olderThan(checked.list, current);
      if (older) return older;
      await Deno.rename(staging, crlFile);
      renamed = true;
    } finally {
      if (!renamed) await Deno.remove(staging).catch(() => {});
    }
    const reloaded = await store.reload();
    if (reloaded.status === "kept") {
      // The store refused the set with this list (e.g. it revokes our own certificate): crl_file
      // goes back to the list in use, so that a restart starts with what runs now.
      if (current) await this.#restore(staging, current.pem);
      return reloaded.message;
    }
    if (reloaded.status === "unchanged") return { result: "unchanged", url };
    this.counters.applied++;
    return { result: "applied", url, message: reloaded.message };
  }

  async #restore(staging: string, pem: string): Promise<void> {
    await Deno.writeTextFile(staging, pem, { mode: 0o644 });
    await Deno.rename(staging, this.#options.crlFile);
  }

  async #download(url: string): Promise<string> {
    const { timeoutMs = 10_000, maxBytes = DEFAULT_CRL_MAX_BYTES } = this.#options;
    const doFetch = this.#options.fetch ?? fetch;
    const signal = AbortSignal.timeout(timeoutMs);
    const response = await doFetch(url, { signal, redirect: "error" });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`answered ${response.status} ${response.statusText}`.trim());
    }
    const reader = response.body?.getReader();
    if (!reader) throw new Error("answered with no body");
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel();
        throw new Error(`answered more than ${maxBytes} bytes; not a CRL`);
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return new TextDecoder().decode(bytes);
  }
}

/** Why `fetched` must not replace `current` (an older list, by {@linkcode crlOlderThan}), or undefined. */
export function olderThan(
  fetched: Pick<RevocationList, "number" | "thisUpdate">,
  current: Pick<RevocationList, "number" | "thisUpdate"> | undefined,
): string | undefined {
  if (!current) return undefined;
  switch (crlOlderThan(fetched, current)) {
    case "lower-number":
      return `its CRL number ${fetched.number} is below ${current.number} of the list in use; kept that`;
    case "issued-earlier":
      return "it was issued before the list in use; kept that";
    default:
      return undefined;
  }
}

/** The certificates of the CA file, for the signature check. */
async function readCas(caFile: string): Promise<pkijs.Certificate[]> {
  const file = await readPemFile(caFile);
  return file.blocks.filter((b) => b.label === "CERTIFICATE").map((b) =>
    pkijs.Certificate.fromBER(toArrayBuffer(b.der))
  );
}

/** What {@linkcode startCrlFetcher} tells: a logger's two levels. */
export interface CrlLog {
  info(message: string, properties: Record<string, unknown>): void;
  warn(message: string, properties: Record<string, unknown>): void;
}

/**
 * Starts fetching when `tls.crl_urls` lists URLs (the configuration guarantees crl_file with
 * them), logging each round that applied a list or failed; undefined when there is nothing to
 * fetch. Dispose to stop.
 */
export function startCrlFetcher(
  tls: TlsConfig,
  store: CrlStore,
  log: CrlLog,
  counters?: CrlFetchCounters,
): (CrlFetcher & AsyncDisposable) | undefined {
  if (!tls.crlUrls || tls.crlUrls.length === 0 || tls.crlFile === undefined) return undefined;
  const fetcher = new CrlFetcher({
    urls: tls.crlUrls,
    intervalMs: (tls.crlRefresh ?? 300) * 1000,
    crlFile: tls.crlFile,
    caFile: tls.caFile,
    store,
    ...(counters ? { counters } : {}),
    onRound: (round) => {
      if (round.result === "applied") {
        log.info("CRL from {url} applied: {message}", { url: round.url, message: round.message });
      } else if (round.result === "failed") {
        log.warn("no CRL fetched, the last good one stays: {problems}", {
          problems: round.problems.join("; "),
        });
      }
    },
  });
  fetcher.start();
  return Object.assign(fetcher, { [Symbol.asyncDispose]: () => fetcher.stop() });
}
