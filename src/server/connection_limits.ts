import type { Logger } from "@logtape/logtape";
import type { SecurityConfig } from "../config/types.ts";
import { DEFAULT_PENDING_LIMITS, type PendingLimits } from "../transport/pending.ts";
import { doorDescriptors } from "../transport/listener.ts";

/** Descriptors kept free for everything that is not a client connection (TUN, logs, runtime). */
export const RESERVED_DESCRIPTORS = 64;

/** The caps in force, fitted under the process's open-file limit. */
export interface ConnectionLimits {
  readonly fileLimit: number | undefined;
  readonly maxPending: number;
  readonly maxPendingPerSource: number;
  /** Sessions at once; a client beyond it is told the server is full. */
  readonly maxSessions: number;
  /** Set when the configured caps did not fit under the file limit: what was lowered, and why. */
  readonly lowered: string | undefined;
  /** The per-network caps of the door (PendingLimits), none above maxPending. */
  readonly networks: Pick<
    PendingLimits,
    "maxPendingPerNetwork4" | "maxPendingPerNetwork6" | "network4Prefix" | "network6Prefix"
  >;
}

type DoorSettings = Pick<
  SecurityConfig,
  | "maxPendingConnections"
  | "maxPendingPerSource"
  | "maxPendingPerNetwork4"
  | "maxPendingPerNetwork6"
  | "pendingNetwork4Prefix"
  | "pendingNetwork6Prefix"
>;

/** The per-network caps of `security`, defaults filled in, none above `maxPending`. */
function networkCaps(security: DoorSettings, maxPending: number): ConnectionLimits["networks"] {
  const d = DEFAULT_PENDING_LIMITS;
  return {
    maxPendingPerNetwork4: Math.min(
      security.maxPendingPerNetwork4 ?? d.maxPendingPerNetwork4,
      maxPending,
    ),
    maxPendingPerNetwork6: Math.min(
      security.maxPendingPerNetwork6 ?? d.maxPendingPerNetwork6,
      maxPending,
    ),
    network4Prefix: security.pendingNetwork4Prefix ?? d.network4Prefix,
    network6Prefix: security.pendingNetwork6Prefix ?? d.network6Prefix,
  };
}

/**
 * Every pending connection and every session holds one descriptor. The listener must never reach
 * the open-file limit (Deno's node:tls server stops accepting for good after one EMFILE, see
 * docs/design/bounds.md), so pending places may take at most half of what is left after the
 * reserve, and sessions the rest, less what comes on top of the places at the door's worst
 * (doorDescriptors: one burst of the whole accept queue, which Deno accepts at once, and the
 * connections being told they were capped). The extras come out of the sessions' share, not the
 * places': a smaller door and accept queue made a valid client wait 27 s under an idle flood at
 * limit 256 (tests/e2e/robustness_test.ts). Pure: the limit is passed in.
 */
export function fitConnectionLimits(
  security: DoorSettings,
  fileLimit: number | undefined,
): ConnectionLimits {
  const wanted = security.maxPendingConnections;
  if (fileLimit === undefined) {
    return {
      fileLimit,
      maxPending: wanted,
      maxPendingPerSource: security.maxPendingPerSource,
      maxSessions: Number.MAX_SAFE_INTEGER,
      lowered: undefined,
      networks: networkCaps(security, wanted),
    };
  }
  const usable = Math.max(2, fileLimit - RESERVED_DESCRIPTORS);
  const maxPending = Math.max(1, Math.min(wanted, Math.floor(usable / 2)));
  const maxSessions = Math.max(1, usable - doorDescriptors(maxPending));
  const lowered = maxPending < wanted || usable - doorDescriptors(maxPending) < 1
    ? `the open-file limit ${fileLimit} is too low for security.max_pending_connections ` +
      `${wanted}: at most ${maxPending} pending connections and ${maxSessions} sessions; ` +
      `raise the limit (LimitNOFILE= in the unit, ulimit -n) to at least ${
        wanted + doorDescriptors(wanted) + RESERVED_DESCRIPTORS
      }`
    : undefined;
  return {
    fileLimit,
    maxPending,
    maxPendingPerSource: Math.min(security.maxPendingPerSource, maxPending),
    maxSessions,
    lowered,
    networks: networkCaps(security, maxPending),
  };
}

/** /readyz's reason while the listening socket has stopped accepting. */
export const NOT_ACCEPTING =
  "the listening socket stopped accepting (out of file descriptors?); it is being replaced";

/** The listener's watchdog events as log lines. */
export function acceptWatchLog(logger: Logger) {
  const log = logger.getChild("door");
  return {
    onAcceptStopped: (reason: string) =>
      log.error("the listener stopped accepting: {reason}; replacing it", { reason }),
    onAcceptResumed: () => log.warn("the listener accepts connections again"),
  };
}
