import assert from "node:assert/strict";
import type { Logger } from "@logtape/logtape";
import { StrangerLog } from "../../src/server/stranger_log.ts";

/** A logger that keeps every line, rendered, by level. */
function recordingLogger() {
  const lines: { level: string; text: string }[] = [];
  const record = (level: string) => (message: string, fields: Record<string, unknown> = {}) => {
    lines.push({
      level,
      text: message.replace(/\{(\w+)\}/g, (_, key: string) => String(fields[key])),
    });
  };
  const logger = {
    warn: record("warn"),
    info: record("info"),
    debug: record("debug"),
    error: record("error"),
  } as unknown as Logger;
  return { logger, lines };
}

Deno.test("StrangerLog logs a revoked certificate's attempt by name and serial after 30 junk handshakes from 30 addresses", () => {
  const { logger, lines } = recordingLogger();
  const log = new StrangerLog(logger);
  try {
    for (let i = 0; i < 30; i++) log.refused(`198.51.100.${i}:40000`, "not TLS");
    log.revoked("203.0.113.9:50000", "laptop-7", "0A1B2C");
    log.certificateRefused(
      "203.0.113.10:50000",
      "old-host",
      "0D0E",
      "certificate CN=old-host expired on 2026-01-01T00:00:00Z",
    );
    log.turnedAway("203.0.113.11:50000", "squatter", "0F10", "address 10.0.0.9 is pinned");
    const warned = lines.filter((l) => l.level === "warn").map((l) => l.text);
    assert.ok(
      warned.some((t) => t.includes("laptop-7") && t.includes("0A1B2C")),
      `no line names the revoked certificate:\n${warned.join("\n")}`,
    );
    assert.ok(warned.some((t) => t.includes("old-host") && t.includes("0D0E")));
    assert.ok(warned.some((t) => t.includes("squatter") && t.includes("0F10")));
    // The junk stays bounded: at most 20 of the 30 in full.
    assert.ok(warned.filter((t) => t.includes("not TLS")).length <= 20);
  } finally {
    log.stop();
  }
});

Deno.test("StrangerLog bounds named refusals too: one full line per certificate and window", () => {
  const { logger, lines } = recordingLogger();
  const log = new StrangerLog(logger);
  try {
    for (let i = 0; i < 50; i++) log.revoked(`203.0.113.${i}:50000`, "laptop-7", "0A1B2C");
    const full = lines.filter((l) => l.level === "warn" && l.text.includes("0A1B2C"));
    assert.equal(full.length, 1);
  } finally {
    log.stop();
  }
  assert.ok(
    lines.some((l) => l.level === "warn" && /49 more/.test(l.text)),
    lines.map((l) => l.text).join("\n"),
  );
});
