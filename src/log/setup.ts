/**
 * Logging as the configuration file asks: level and destination (a file or standard output).
 * Components get their logger from main, which calls {@linkcode getLogger}.
 *
 * @module
 */

import { configure, getLogger as getLogTapeLogger, reset } from "@logtape/logtape";
import type { Logger, Sink } from "@logtape/logtape";
import type { LoggingConfig } from "../config/types.ts";
import { jsonLineFormatter, lineFormatter, ROOT_CATEGORY } from "./format.ts";
import { describeFileError } from "../base/file_errors.ts";
import { errorMessage } from "../base/error_message.ts";
import type { LogCounters } from "../counters/counters.ts";
import { FileLineWriter, QueuedLineWriter } from "./line_writer.ts";

/** Permissions of a log file that setupLogging creates (before the umask). */
const LOG_FILE_MODE = 0o640;

/** What {@linkcode Logging.reopen} did; `message` is the one line to log. */
export interface LogReopenResult {
  /**
   * `"reopened"`: lines now go to a file opened anew at the configured path (`renamed` tells
   * whether it is another file than before, as after logrotate's rename-and-create);
   * `"kept"`: opening failed and lines still go to the file open before; `"stdout"`: there is
   * no log file.
   */
  readonly status: "reopened" | "kept" | "stdout";
  readonly renamed: boolean;
  readonly message: string;
}

/** The running logging setup. Disposal waits for pending lines, closes the file, resets LogTape. */
export interface Logging extends AsyncDisposable {
  /**
   * Opens the log file again at its configured path (SIGHUP after a log rotation). Lines logged
   * before the call are in the old file, lines after it in the new one; never throws.
   */
  reopen(): Promise<LogReopenResult>;
  /**
   * Makes the log file the run user's, for a process about to drop root: after the drop, a
   * SIGHUP reopens the file as that user, which a root-owned 0640 file would refuse. Call it
   * before the drop; a no-op without a log file.
   *
   * @throws {Error} naming the file, when it cannot be changed.
   */
  handOver(owner: { readonly uid: number; readonly gid: number }): Promise<void>;
}

/**
 * Configures LogTape: records of `config.level` and above, one line each (text, or JSON with
 * `config.format: json`), appended to `config.file` (created with mode 0640 if missing) or
 * written to standard output.
 *
 * @throws {Error} when the log file cannot be opened, naming the file and the reason.
 */
export async function setupLogging(
  config: LoggingConfig,
  counters?: LogCounters,
): Promise<Logging> {
  const formatter = config.format === "json" ? jsonLineFormatter() : lineFormatter();
  let sink: Sink;
  let fileWriter: FileLineWriter | undefined;
  let stdout: QueuedLineWriter | undefined;
  const where = counters ? { counters } : {};
  if (config.file === undefined) {
    // Standard output belongs to the process; it is never closed here. A pipe whose reader is
    // gone or stalled costs dropped lines, never the tunnel (see line_writer.ts).
    const writer = stdout = new QueuedLineWriter(Deno.stdout, {
      name: "standard output",
      ...where,
    });
    sink = (record) => writer.write(formatter(record));
  } else {
    // Each line goes to the file before the log call returns: a daemon's last words before a
    // crash must not sit in a buffer, and `tail -f` must show lines as they happen.
    const writer = fileWriter = new FileLineWriter(await openLogFile(config.file), {
      name: config.file,
      ...where,
    });
    sink = (record) => writer.write(formatter(record));
  }
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      { category: [ROOT_CATEGORY], sinks: ["main"], lowestLevel: config.level },
      // LogTape's own complaints (a failing sink, say) go to the same place.
      { category: ["logtape", "meta"], sinks: ["main"], lowestLevel: "warning" },
    ],
  });
  return {
    reopen: () => reopenLogFile(fileWriter, config.file),
    handOver: async ({ uid, gid }) => {
      if (config.file === undefined) return;
      try {
        await Deno.chown(config.file, uid, gid);
      } catch (error) {
        throw new Error(
          `Cannot give the log file ${config.file} to uid ${uid}: ${describeFileError(error)}`,
          { cause: error },
        );
      }
    },
    [Symbol.asyncDispose]: async () => {
      await stdout?.flush();
      await reset();
      fileWriter?.file.close();
    },
  };
}

async function reopenLogFile(
  writer: FileLineWriter | undefined,
  path: string | undefined,
): Promise<LogReopenResult> {
  if (writer === undefined || path === undefined) {
    return { status: "stdout", renamed: false, message: "logging to standard output" };
  }
  let opened: Deno.FsFile;
  try {
    opened = await openLogFile(path);
  } catch (error) {
    return {
      status: "kept",
      renamed: false,
      message: `${errorMessage(error)}; still writing to the file open before`,
    };
  }
  const [before, after] = await Promise.all([writer.file.stat(), opened.stat()]);
  const renamed = before.ino !== after.ino || before.dev !== after.dev;
  writer.replace(opened).close();
  return {
    status: "reopened",
    renamed,
    message: renamed ? `log file reopened: ${path} (a new file)` : `log file reopened: ${path}`,
  };
}

async function openLogFile(file: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(file, { append: true, create: true, mode: LOG_FILE_MODE });
  } catch (error) {
    // Opening with create fails with NotFound only when the folder is missing.
    const reason = error instanceof Deno.errors.NotFound
      ? "its folder does not exist"
      : describeFileError(error);
    throw new Error(`Cannot open the log file ${file}: ${reason}`, { cause: error });
  }
}

/**
 * The logger for one part of SSSonector, under the root category `sssonector`.
 *
 * @param category e.g. `"session"`; dots make sub-categories (`"session.keepalive"`).
 */
export function getLogger(category: string): Logger {
  return getLogTapeLogger([ROOT_CATEGORY, ...category.split(".")]);
}
