/**
 * The reloadable certificate store: one side's certificate, key, CA and (optionally) the CA's
 * revocation list, loaded and checked as a set, handed out as one immutable value. A reload swaps in a new set only when it passes every
 * check; a broken one leaves the current set in place. Each new TLS connection reads
 * `current()`, so a reload never touches live connections.
 *
 * @module
 */

import type { TlsConfig } from "../config/types.ts";
import type { TlsMaterial } from "./material.ts";
import { type CertificateRole, loadCertificateSet } from "./certificate_set.ts";
import { loadRevocationList, type RevocationList } from "./crl.ts";
import { type CertificateSummary, summarize } from "./describe.ts";
import { PkiError } from "./errors.ts";
import { checkKeyFileMode } from "./key_permissions.ts";
import { DAY_MS } from "./limits.ts";
import { formatDate } from "./x509.ts";
import { errorMessage } from "../base/error_message.ts";

/** Everything the store holds at one moment; never changed once made. */
export interface CertificateState {
  /** What TLS is given: the PEM texts exactly as checked. */
  readonly material: TlsMaterial;
  /** This side's certificate. */
  readonly certificate: CertificateSummary;
  /** Every certificate of the CA file, in order. */
  readonly authorities: readonly CertificateSummary[];
  /** The CA's revocation list, when the configuration names one (`crl_file`). */
  readonly revocation?: RevocationList;
  readonly loadedAt: Date;
}

/** Something of the current set that stops being valid soon; see `expiringWithin()`. */
export interface ExpiringItem {
  /** This side's certificate, a CA certificate, or the revocation list (its nextUpdate). */
  readonly kind: "certificate" | "ca" | "crl";
  readonly file: string;
  /** The certificate's subject, or the CRL's issuer. */
  readonly subject: string;
  /** For certificates. */
  readonly serialHex?: string;
  /** From when it is valid: the certificate's notBefore, the CRL's thisUpdate. */
  readonly validFrom: Date;
  readonly expires: Date;
  /** Whole days left, rounded down; 0 on the last day. */
  readonly daysLeft: number;
}

/** A swap: the state before and after it. */
export interface CertificateChange {
  readonly before: CertificateState;
  readonly after: CertificateState;
}

/** Told about every swap, after `current()` already returns the new material. */
export type CertificateListener = (material: TlsMaterial, change: CertificateChange) => void;

/**
 * What {@linkcode CertificateStore.reload} did. The store logs nothing: `message` is the one
 * line the caller logs (a warning when `status` is `"kept"`).
 */
export type ReloadResult =
  | {
    /** The files changed and passed every check; the new set is current. */
    readonly status: "swapped";
    readonly change: CertificateChange;
    /** Listeners that threw, as messages; the swap stands. */
    readonly listenerErrors: readonly string[];
    readonly message: string;
  }
  | {
    /** The files passed every check and hold what is already current. */
    readonly status: "unchanged";
    readonly message: string;
  }
  | {
    /** The files failed a check; the current set stays. */
    readonly status: "kept";
    readonly problems: readonly string[];
    readonly message: string;
  };

/** A certificate set failed its checks when the store was first loaded. */
export class CertificateSetError extends PkiError {
  /** One line per problem, each naming its file. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : "";
    super(`${problems[0] ?? "the certificate set is unusable"}${more}`);
    this.name = "CertificateSetError";
    this.problems = problems;
  }
}

export interface CertificateStoreOptions {
  /** The clock the validity checks use. @default () => new Date() */
  readonly now?: () => Date;
}

/** One side's certificate set, reloadable. */
export class CertificateStore {
  readonly #tls: TlsConfig;
  readonly #role: CertificateRole;
  readonly #now: () => Date;
  #state: CertificateState;
  #listeners = new Set<CertificateListener>();
  /** The reload in progress; reloads run one after the other, in call order. */
  #reloading: Promise<unknown> = Promise.resolve();

  private constructor(
    tls: TlsConfig,
    role: CertificateRole,
    now: () => Date,
    state: CertificateState,
  ) {
    this.#tls = tls;
    this.#role = role;
    this.#now = now;
    this.#state = state;
  }

  /**
   * Load and check the files `tls` names for `role`.
   *
   * @throws {CertificateSetError} Listing every problem, when the set is unusable.
   */
  static async load(
    tls: TlsConfig,
    role: CertificateRole,
    options: CertificateStoreOptions = {},
  ): Promise<CertificateStore> {
    const now = options.now ?? (() => new Date());
    const loaded = await readState(tls, role, now());
    if ("problems" in loaded) throw new CertificateSetError(loaded.problems);
    return new CertificateStore(tls, role, now, loaded.state);
  }

  /** The material for the next connection; always one whole, checked set. */
  current(): TlsMaterial {
    return this.#state.material;
  }

  /** The whole current state: material and what it holds. */
  state(): CertificateState {
    return this.#state;
  }

  /**
   * True when the current revocation list names the certificate with serial `serialHex` (any
   * case, colons allowed); false when it does not or when there is no list.
   */
  isRevoked(serialHex: string): boolean {
    return this.#state.revocation?.isRevoked(serialHex) ?? false;
  }

  /**
   * The certificates of the current set (this side's and the CAs') that expire within `days`
   * of `now`, and the revocation list when its nextUpdate falls in that time; soonest first.
   * The store logs nothing: the caller warns about each.
   */
  expiringWithin(days: number, now: Date = this.#now()): ExpiringItem[] {
    const { certificate, authorities, revocation } = this.#state;
    const { certFile, caFile } = this.#tls;
    const items: ExpiringItem[] = [
      certificateItem("certificate", certFile, certificate, now),
      ...authorities.map((ca) => certificateItem("ca", caFile, ca, now)),
    ];
    if (revocation !== undefined) {
      items.push({
        kind: "crl",
        file: revocation.path,
        subject: revocation.issuer,
        validFrom: revocation.thisUpdate,
        expires: revocation.nextUpdate,
        daysLeft: daysLeft(revocation.nextUpdate, now),
      });
    }
    const limit = now.getTime() + days * DAY_MS;
    return items.filter((item) => item.expires.getTime() <= limit)
      .sort((a, b) => a.expires.getTime() - b.expires.getTime());
  }

  /**
   * Read the files again. When they pass every check and differ from the current set, swap them
   * in and tell every listener; when they fail, keep the current set. Never throws for a problem
   * with the files; concurrent calls run one after the other.
   */
  reload(): Promise<ReloadResult> {
    const result = this.#reloading.then(() => this.#reloadNow());
    this.#reloading = result.catch(() => {});
    return result;
  }

  /**
   * Call `listener` after every swap (so a listener can give new handshakes the new material).
   *
   * @returns A function that removes the listener.
   */
  onChange(listener: CertificateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #reloadNow(): Promise<ReloadResult> {
    const before = this.#state;
    const loaded = await readState(this.#tls, this.#role, this.#now());
    if ("problems" in loaded) {
      const { problems } = loaded;
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : "";
      return {
        status: "kept",
        problems,
        message: `certificate reload refused, still using ${describe(before)}: ` +
          `${problems[0]}${more}`,
      };
    }
    const after = loaded.state;
    if (sameFiles(before, after)) {
      return { status: "unchanged", message: `certificates unchanged: ${describe(before)}` };
    }
    this.#state = after;
    const change = { before, after };
    const listenerErrors: string[] = [];
    for (const listener of [...this.#listeners]) {
      try {
        listener(after.material, change);
      } catch (error) {
        listenerErrors.push(errorMessage(error));
      }
    }
    const failed = listenerErrors.length === 0
      ? ""
      : `; applying them failed: ${listenerErrors.join("; ")}`;
    return {
      status: "swapped",
      change,
      listenerErrors,
      message: `certificates reloaded: ${describeChange(change)}${failed}`,
    };
  }
}

/** Reads and checks the files into a new state, or the problems that prevent one. */
async function readState(
  tls: TlsConfig,
  role: CertificateRole,
  now: Date,
): Promise<{ readonly state: CertificateState } | { readonly problems: readonly string[] }> {
  const problems: string[] = [];
  const keyMode = await checkKeyFileMode(tls.keyFile, "security.tls.key_file");
  if (keyMode !== undefined) problems.push(keyMode);
  const files = { certFile: tls.certFile, keyFile: tls.keyFile, caFile: tls.caFile };
  const loaded = await loadCertificateSet(files, role, now);
  problems.push(...loaded.problems);
  const { set } = loaded;
  let revocation: RevocationList | undefined;
  if (set !== undefined && tls.crlFile !== undefined) {
    const cas = set.authorities.map((ca) => ca.cert);
    const crl = await loadRevocationList(tls.crlFile, cas, tls.caFile, now);
    problems.push(...crl.problems);
    revocation = crl.list;
  }
  if (set === undefined || problems.length > 0) return { problems };
  const certificate = await summarize(set.certificate.cert, set.certificate.der);
  const revokedAt = revocation?.entries.find((e) => e.serialHex === certificate.serialHex);
  if (revokedAt !== undefined && revocation !== undefined) {
    return {
      problems: [
        `${tls.certFile}: certificate serial ${certificate.serialHex} is revoked by ` +
        `${revocation.path} (since ${formatDate(revokedAt.revokedAt)}); issue a new one ` +
        "with --renew",
      ],
    };
  }
  const material: TlsMaterial = Object.freeze({
    cert: set.certPem,
    key: set.keyPem,
    ca: set.caPem,
    minVersion: tls.minVersion,
  });
  const state: CertificateState = Object.freeze({
    material,
    certificate,
    authorities: Object.freeze(
      await Promise.all(set.authorities.map(({ cert, der }) => summarize(cert, der))),
    ),
    ...(revocation === undefined ? {} : { revocation }),
    loadedAt: now,
  });
  return { state };
}

function sameFiles(a: CertificateState, b: CertificateState): boolean {
  const [x, y] = [a.material, b.material];
  return x.cert === y.cert && x.key === y.key && x.ca === y.ca && x.minVersion === y.minVersion &&
    a.revocation?.pem === b.revocation?.pem;
}

function certificateItem(
  kind: "certificate" | "ca",
  file: string,
  summary: CertificateSummary,
  now: Date,
): ExpiringItem {
  return {
    kind,
    file,
    subject: summary.subject,
    serialHex: summary.serialHex,
    validFrom: summary.notBefore,
    expires: summary.notAfter,
    daysLeft: daysLeft(summary.notAfter, now),
  };
}

function daysLeft(expires: Date, now: Date): number {
  return Math.max(0, Math.floor((expires.getTime() - now.getTime()) / DAY_MS));
}

/**
 * True when less than a third of `item`'s validity is left at `now`. Used with
 * `expiringWithin()` so that a certificate issued for a short time on purpose (a day, a week)
 * is not reported as expiring for most of its life.
 */
export function inLastThird(item: ExpiringItem, now: Date): boolean {
  const lifetime = item.expires.getTime() - item.validFrom.getTime();
  return item.expires.getTime() - now.getTime() < lifetime / 3;
}

/**
 * One line for a log warning: `certificate /x/client.crt (CN=client, serial 0A1B) expires on
 * 2027-01-01T00:00:00Z, in 12 days`; under two days left the time is in hours.
 */
export function describeExpiring(item: ExpiringItem, now: Date = new Date()): string {
  const left = item.expires.getTime() - now.getTime();
  const ended = left <= 0;
  const what = item.kind === "crl"
    ? `revocation list ${item.file} (${item.subject}) ${
      ended ? "was due to be refreshed on" : "must be refreshed by"
    }`
    : `${item.kind === "ca" ? "CA certificate" : "certificate"} ${item.file} (${item.subject}, ` +
      `serial ${item.serialHex}) ${ended ? "expired on" : "expires on"}`;
  if (ended) return `${what} ${formatDate(item.expires)}`;
  const hours = Math.floor(left / (60 * 60 * 1000));
  const days = Math.floor(left / DAY_MS);
  const span = days >= 2
    ? `${days} days`
    : hours >= 2
    ? `${hours} hours`
    : hours === 1
    ? "1 hour"
    : "less than an hour";
  return `${what} ${formatDate(item.expires)}, in ${span}`;
}

/** `serial 0A1B (CN=client, expires 2027-01-01T00:00:00Z)` */
function describe(state: CertificateState): string {
  const { serialHex, subject, notAfter } = state.certificate;
  return `serial ${serialHex} (${subject}, expires ${formatDate(notAfter)})`;
}

/** One line saying what a swap changed. */
function describeChange({ before, after }: CertificateChange): string {
  const parts = [
    before.certificate.serialHex === after.certificate.serialHex
      ? `certificate unchanged, ${describe(after)}`
      : `certificate ${describe(before)} -> ${describe(after)}`,
  ];
  if (before.material.key !== after.material.key) parts.push("new key");
  if (before.material.ca !== after.material.ca) {
    parts.push(`CA file changed (${after.authorities.length} CA certificates)`);
  }
  const [oldCrl, newCrl] = [before.revocation, after.revocation];
  if (newCrl !== undefined && oldCrl?.pem !== newCrl.pem) {
    parts.push(
      `CRL number ${oldCrl?.number ?? "-"} -> ${newCrl.number ?? "-"} ` +
        `(${newCrl.entries.length} revoked)`,
    );
  }
  return parts.join("; ");
}
