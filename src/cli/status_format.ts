/**
 * The text `sssonector status` prints: a header for the process (mode, readiness, certificate
 * and CA expiry, totals and rate), then one block per session, in the manner of `wg show`.
 * Pure: the report and the clock come in, the text goes out.
 *
 * @module
 */

import type { StatusRate, StatusReport, StatusSession } from "../monitor/status.ts";

const DAY_MS = 86_400_000;

/** The report as text, ending without a newline. */
export function formatStatus(report: StatusReport, now: number): string {
  const lines: string[] = [];
  lines.push(
    `sssonector ${report.mode}: ${report.ready ? "ready" : "NOT READY"} (${report.reason}), ` +
      `version ${report.version}`,
  );
  const cert = report.certificate;
  lines.push(
    `  certificate: ${cert.subject}, serial ${cert.serial}, ${expiry(cert.expires, now)}`,
  );
  for (const ca of report.authorities ?? []) {
    lines.push(`  ca: ${ca.subject}, ${expiry(ca.expires, now)}`);
  }
  const totals = report.totals;
  lines.push(
    `  transfer: ${bytes(totals.bytesIn)} in, ${bytes(totals.bytesOut)} out` +
      `${rate(totals.rate)}`,
  );
  lines.push(
    `  sessions: ${report.sessions.length === 0 ? "none" : String(report.sessions.length)}`,
  );
  for (const session of report.sessions) {
    lines.push("");
    lines.push(`peer: ${session.peer}`);
    const address = session.tunnelAddress ?? "-";
    const routes = session.routes.length === 0 ? "" : ` (routes ${session.routes.join(", ")})`;
    lines.push(`  tunnel address: ${address}${routes}`);
    lines.push(`  remote: ${session.remote}`);
    lines.push(`  since: ${since(session.since, now)}`);
    lines.push(`  round trip: ${session.rttMs === null ? "-" : `${session.rttMs.toFixed(2)} ms`}`);
    lines.push(
      `  transfer: ${bytes(session.bytesIn)} in, ${bytes(session.bytesOut)} out` +
        `${rate(session.rate)}`,
    );
    if (session.lane) lines.push(`  sparse lane: ${lane(session.lane)}`);
  }
  return lines.join("\n");
}

/**
 * `up (opened 2 times), 120 packets, 9.4 KiB sent, fell back to the main connection 3 times`, or
 * `down` with the same figures (a fallback: a batch of sparse packets the lane refused).
 */
function lane(view: NonNullable<StatusSession["lane"]>): string {
  if (!view.up && view.opened === 0) return "none";
  const state = view.up ? "up" : "down";
  const opened = view.opened === 0 ? "never opened" : `opened ${plural(view.opened, "time")}`;
  return `${state} (${opened}), ${plural(view.packetsOut, "packet")}, ${bytes(view.bytesOut)} ` +
    `sent, fell back to the main connection ${plural(view.fallbacks, "time")}`;
}

/** `expires 2027-12-07 (in 365 days)` or `EXPIRED 2026-01-01 (3 days ago)`. */
function expiry(iso: string, now: number): string {
  const at = Date.parse(iso);
  const days = Math.floor((at - now) / DAY_MS);
  const date = iso.slice(0, 10);
  if (at <= now) return `EXPIRED ${date} (${Math.floor((now - at) / DAY_MS)} days ago)`;
  return `expires ${date} (in ${days === 0 ? "less than a day" : plural(days, "day")})`;
}

function since(ms: number, now: number): string {
  const seconds = Math.max(0, Math.floor((now - ms) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor(seconds % 3600 / 60);
  const s = seconds % 60;
  const ago = h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
  return `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC (${ago} ago)`;
}

/** `; now 1.20 Mbit/s in, 8 kbit/s out`, or nothing before the monitor has two samples. */
function rate(value: StatusRate | null | undefined): string {
  if (value === null || value === undefined) return "";
  return `; now ${bits(value.in)} in, ${bits(value.out)} out`;
}

export function bits(perSecond: number): string {
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
  let value = perSecond;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit > 0 && value < 10 ? 2 : 0)} ${units[unit]}`;
}

export function bytes(count: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
