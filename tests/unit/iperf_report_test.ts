import assert from "node:assert/strict";
import { IperfError, parseIperfReport } from "../../tools/lab/iperf_report.ts";

Deno.test("parseIperfReport() reads the receiver's rate, bytes and duration", () => {
  const json = JSON.stringify({
    start: {},
    end: {
      sum_sent: { bits_per_second: 2e9, bytes: 501e6, seconds: 2 },
      sum_received: { bits_per_second: 1.99e9, bytes: 500e6, seconds: 2.01 },
    },
  });
  assert.deepEqual(parseIperfReport(json), { bitsPerSecond: 1.99e9, bytes: 500e6, seconds: 2.01 });
});

Deno.test("parseIperfReport() treats a refused connection as an error even though iperf3 exits 0", () => {
  const json = JSON.stringify({
    start: {},
    intervals: [],
    end: {},
    error: "unable to connect to server: Connection refused",
  });
  assert.throws(
    () => parseIperfReport(json),
    (error) =>
      error instanceof IperfError && error.refused && /Connection refused/.test(error.message),
  );
});

Deno.test("parseIperfReport() reports other errors as not worth retrying", () => {
  const json = JSON.stringify({ error: "control socket has closed unexpectedly" });
  assert.throws(
    () => parseIperfReport(json),
    (error) => error instanceof IperfError && !error.refused,
  );
});

Deno.test("parseIperfReport() refuses output that is not a complete report", () => {
  assert.throws(() => parseIperfReport(""), IperfError);
  assert.throws(() => parseIperfReport("iperf3: error - unable to connect"), IperfError);
  assert.throws(() => parseIperfReport(JSON.stringify({ end: {} })), IperfError);
  assert.throws(() => parseIperfReport("null"), IperfError);
});
