/**
 * Keys of the original SSSonector's test and QA configurations that this program does not
 * have, each with what does that job here (or why nothing needs to), so that an unknown-key
 * problem names the key to use instead of only listing the allowed ones.
 *
 * @module
 */

/** What replaces a key of the original; `path` is dotted, matched exactly. */
interface OriginalKey {
  readonly path: string;
  readonly advice: string;
}

const ORIGINAL_KEYS: readonly OriginalKey[] = [
  {
    path: "log_level",
    advice: "the original's log_level is logging.level here (debug, info, warning or error)",
  },
  {
    path: "logging.log_level",
    advice: "the original's log_level is logging.level here (debug, info, warning or error)",
  },
  {
    path: "metrics",
    advice: "the original's metrics section is monitoring here (monitoring.enabled, " +
      "monitoring.address, monitoring.port)",
  },
  {
    path: "keepalive",
    advice: "the original's keepalive is network.keepalive_interval here (seconds, default 10)",
  },
  {
    path: "network.keepalive",
    advice: "the original's keepalive is network.keepalive_interval here (seconds, default 10)",
  },
  {
    path: "security.memory_protections",
    advice: "the original's memory_protections has no setting here: the runtime is memory-safe " +
      "and nothing needs turning on; remove the key",
  },
  {
    path: "security.namespace",
    advice: "the original's namespace has no setting here: the process is isolated by the " +
      "systemd unit's sandbox (configs/sssonector.service) and drops to security.user after " +
      "setup; remove the key",
  },
  {
    path: "monitoring.interval",
    advice: "the original's monitoring.interval has no setting here: the monitor reads the " +
      "counters at each request, so set the interval in Prometheus (scrape_interval); remove " +
      "the key",
  },
];

/** What to use instead of the original's key at `path` (dotted), or undefined for other keys. */
export function originalKeyAdvice(path: string): string | undefined {
  return ORIGINAL_KEYS.find((key) => key.path === path)?.advice;
}
