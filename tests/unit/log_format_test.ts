import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { lineFormatter } from "../../src/log/format.ts";

function record(fields: Partial<LogRecord>): LogRecord {
  return {
    category: ["sssonector", "session"],
    level: "info",
    message: ["client ", "10.0.0.2", " connected"],
    rawMessage: "client {ip} connected",
    timestamp: Date.parse("2026-11-25T04:10:00.123Z"),
    properties: { ip: "10.0.0.2" },
    ...fields,
  };
}

Deno.test("lineFormatter() writes ISO timestamp, padded level, category and message", () => {
  assert.equal(
    lineFormatter()(record({})),
    "2026-11-25T04:10:00.123Z INFO  session: client 10.0.0.2 connected\n",
  );
});

Deno.test("lineFormatter() labels every level in five columns", () => {
  const format = lineFormatter();
  const labels = (["debug", "info", "warning", "error"] as const).map((level) =>
    format(record({ level })).slice(25, 31)
  );
  assert.deepEqual(labels, ["DEBUG ", "INFO  ", "WARN  ", "ERROR "]);
});

Deno.test("lineFormatter() drops the sssonector root from the category and joins the rest with dots", () => {
  const format = lineFormatter();
  assert.match(
    format(record({ category: ["sssonector", "transport", "tls"] })),
    / transport\.tls: /,
  );
  assert.match(format(record({ category: ["sssonector"] })), / sssonector: /);
  assert.match(format(record({ category: ["logtape", "meta"] })), / logtape\.meta: /);
});

Deno.test("lineFormatter() renders numbers, objects and errors on the same line", () => {
  const line = lineFormatter()(record({
    message: [
      "sent ",
      42,
      " frames to ",
      { host: "::1", port: 443 },
      ": ",
      new TypeError("closed"),
      "",
    ],
  }));
  assert.equal(line.split("\n").length, 2);
  assert.match(line, /sent 42 frames to \{ host: "::1", port: 443 \}: TypeError: closed\n$/);
});
