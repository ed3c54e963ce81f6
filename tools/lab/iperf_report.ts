/** Reads the result of one `iperf3 -c ... -J` run. */

export interface IperfResult {
  /** Bits per second the receiver got. */
  readonly bitsPerSecond: number;
  /** Bytes the receiver got. */
  readonly bytes: number;
  /** Length of the measured interval, seconds. */
  readonly seconds: number;
}

/** iperf3 reported a failure (it may still exit 0, e.g. for "Connection refused"). */
export class IperfError extends Error {
  override name = "IperfError";
  /** True when the server was not listening yet, so trying again can help. */
  readonly refused: boolean;

  constructor(message: string, refused: boolean) {
    super(message);
    this.refused = refused;
  }
}

/**
 * Parses iperf3's JSON report. Throws IperfError when the report carries an `error` (iperf3
 * 3.12 exits 0 for a refused connection and says so only there) or no receiver summary.
 */
export function parseIperfReport(json: string): IperfResult {
  let report: unknown;
  try {
    report = JSON.parse(json);
  } catch {
    throw new IperfError(`iperf3 printed no JSON report: "${json.trim().slice(0, 200)}"`, false);
  }
  const record = (report ?? {}) as Record<string, unknown>;
  if (typeof record.error === "string") {
    throw new IperfError(`iperf3 failed: ${record.error}`, /refused/i.test(record.error));
  }
  const end = (record.end ?? {}) as Record<string, unknown>;
  const received = (end.sum_received ?? {}) as Record<string, unknown>;
  const [bitsPerSecond, bytes, seconds] = [
    received.bits_per_second,
    received.bytes,
    received.seconds,
  ];
  if (
    typeof bitsPerSecond !== "number" || typeof bytes !== "number" || typeof seconds !== "number"
  ) {
    throw new IperfError("iperf3 report has no end.sum_received summary", false);
  }
  return { bitsPerSecond, bytes, seconds };
}
