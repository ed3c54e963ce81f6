/**
 * What SIGHUP does: reopen the log file (after logrotate renamed it), then read the certificate
 * set again through the store, and log one line saying what changed. Never throws and never ends
 * the process: a broken certificate set keeps the running one, a log file that cannot be opened
 * keeps the old one, and each says why.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { LogReopenResult } from "./log/setup.ts";
import type { ReloadResult } from "./pki/certificate_store.ts";
import { errorMessage } from "./base/error_message.ts";
import { countReason, type ReloadCounters } from "./counters/counters.ts";

/** What a reload works on; the store and the logging setup in the program, fakes in tests. */
export interface ReloadTargets {
  readonly certificates: { reload(): Promise<ReloadResult> };
  readonly logging: { reopen(): Promise<LogReopenResult> };
  readonly log: Logger;
  /** Where reloads are counted (for /metrics). */
  readonly counters?: ReloadCounters;
  /** Called before a reload starts and after it ends (sd_notify RELOADING=1, READY=1). */
  readonly onStart?: () => void;
  readonly onDone?: (outcome: ReloadOutcome) => void;
}

/** The result of one reload, for tests and for the caller's status line. */
export interface ReloadOutcome {
  readonly certificates: ReloadResult["status"] | "failed";
  readonly logFile: LogReopenResult["status"] | "failed";
  /** The line that was logged. */
  readonly message: string;
  /** True when something was refused (logged at WARN). */
  readonly warning: boolean;
}

/**
 * Runs reloads one at a time. A request while one runs is folded into one more reload after it
 * (two quick SIGHUPs after two file copies still end with the last files loaded).
 */
export class Reloader {
  readonly #targets: ReloadTargets;
  #running: Promise<ReloadOutcome> | undefined;
  #again: Promise<ReloadOutcome> | undefined;

  constructor(targets: ReloadTargets) {
    this.#targets = targets;
  }

  /** Starts a reload (or schedules one after the current); resolves when it is done. */
  request(): Promise<ReloadOutcome> {
    if (this.#running === undefined) return this.#start();
    this.#again ??= this.#running.then(() => {
      this.#again = undefined;
      return this.#start();
    });
    return this.#again;
  }

  #start(): Promise<ReloadOutcome> {
    const running = this.#running = reloadOnce(this.#targets).finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    return running;
  }
}

/** One reload: the log file first, so the line about the reload is in the new file. */
export async function reloadOnce(targets: ReloadTargets): Promise<ReloadOutcome> {
  const { log } = targets;
  targets.onStart?.();
  let logFile: ReloadOutcome["logFile"];
  let logPart: string;
  try {
    const reopened = await targets.logging.reopen();
    logFile = reopened.status;
    logPart = reopened.message;
  } catch (error) {
    logFile = "failed";
    logPart = `cannot reopen the log file: ${errorMessage(error)}`;
  }
  let certificates: ReloadOutcome["certificates"];
  let certPart: string;
  try {
    const result = await targets.certificates.reload();
    certificates = result.status;
    certPart = result.message;
  } catch (error) {
    certificates = "failed";
    certPart = `certificate reload failed, the running set stays: ${errorMessage(error)}`;
  }
  const warning = certificates === "kept" || certificates === "failed" || logFile === "kept" ||
    logFile === "failed";
  const message = `reload on SIGHUP: ${certPart}; ${logPart}`;
  if (warning) log.warn("{message}", { message });
  else log.info("{message}", { message });
  const outcome = { certificates, logFile, message, warning };
  if (targets.counters !== undefined) {
    countReason(targets.counters.results, certificates);
    if (logFile === "kept" || logFile === "failed") targets.counters.logReopenFailures++;
  }
  targets.onDone?.(outcome);
  return outcome;
}
