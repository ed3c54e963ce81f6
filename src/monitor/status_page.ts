/**
 * The status page, `GET /`: one HTML document with its CSS and script inline and no external
 * asset, so it works on a host without internet access. It polls `/status.json` every second and
 * redraws the sessions table and two throughput charts (in and out, bits per second, the last two
 * minutes) without reloading. Peer-supplied text goes into the page through textContent only.
 *
 * @module
 */

/** The Content-Security-Policy sent with the page: nothing but itself and /status.json. */
export const STATUS_PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
  "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; " +
  "frame-ancestors 'none'";

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SSSonector status</title>
<style>
  :root { color-scheme: light dark; --in: #1f77b4; --out: #d62728; --muted: #888; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; max-width: 64rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  .meta { color: var(--muted); margin-bottom: 1rem; }
  .state { font-weight: 600; }
  .state.ready { color: #2ca02c; } .state.not-ready { color: var(--out); }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #8884; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; }
  figure { margin: 0; } figcaption { font-weight: 600; }
  figcaption .rate { font-weight: 400; font-variant-numeric: tabular-nums; }
  svg { width: 100%; height: 140px; border: 1px solid #8884; }
  .empty { color: var(--muted); }
  .error { color: var(--out); }
</style>
</head>
<body>
<h1>SSSonector <span id="mode"></span></h1>
<div class="meta"><span id="state" class="state">loading...</span> <span id="reason"></span>
  &middot; version <span id="version"></span> &middot; certificate <span id="cert"></span>
  &middot; updated <span id="updated">never</span> <span id="error" class="error"></span></div>
<div class="charts">
  <figure><figcaption>In (from peers) <span class="rate" id="rate-in">-</span></figcaption>
    <svg id="chart-in" viewBox="0 0 600 140" preserveAspectRatio="none" data-latest="0"
      role="img" aria-label="throughput in"><polyline fill="none" stroke="var(--in)"
      stroke-width="2" points=""/></svg></figure>
  <figure><figcaption>Out (to peers) <span class="rate" id="rate-out">-</span></figcaption>
    <svg id="chart-out" viewBox="0 0 600 140" preserveAspectRatio="none" data-latest="0"
      role="img" aria-label="throughput out"><polyline fill="none" stroke="var(--out)"
      stroke-width="2" points=""/></svg></figure>
</div>
<h2>Sessions</h2>
<table>
  <thead><tr><th>peer</th><th>tunnel address</th><th>remote address</th><th>since</th>
    <th class="num">RTT</th><th class="num">bytes in</th><th class="num">bytes out</th></tr></thead>
  <tbody id="sessions"><tr><td colspan="7" class="empty">no session</td></tr></tbody>
</table>
<script>
"use strict";
const POINTS = 120;
const history = { in: [], out: [] };
let previous;

const $ = (id) => document.getElementById(id);

function bits(rate) {
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
  let value = rate, unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++; }
  return value.toFixed(value < 10 && unit > 0 ? 2 : 0) + " " + units[unit];
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return (unit === 0 ? String(value) : value.toFixed(1)) + " " + units[unit];
}

function since(ms) {
  const s = Math.max(0, Math.floor((Date.now() - ms) / 1000));
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC (" +
    (h > 0 ? h + " h " : "") + m + " min " + (s % 60) + " s ago)";
}

function draw(direction) {
  const svg = $("chart-" + direction);
  const values = history[direction];
  const top = Math.max(1, ...values);
  const step = 600 / (POINTS - 1);
  const offset = POINTS - values.length;
  svg.querySelector("polyline").setAttribute("points", values.map((v, i) =>
    ((offset + i) * step).toFixed(1) + "," + (136 - v / top * 130).toFixed(1)).join(" "));
  const latest = values.length === 0 ? 0 : values[values.length - 1];
  svg.dataset.latest = String(latest);
  $("rate-" + direction).textContent = bits(latest) + " (peak " + bits(top === 1 ? 0 : top) + ")";
}

function cell(row, text, numeric) {
  const td = row.insertCell();
  td.textContent = text;
  if (numeric) td.className = "num";
}

function show(status) {
  $("mode").textContent = status.mode;
  $("version").textContent = status.version;
  $("cert").textContent = status.certificate.subject + ", serial " + status.certificate.serial +
    ", expires " + status.certificate.expires.slice(0, 10);
  const state = $("state");
  state.textContent = status.ready ? "ready" : "not ready";
  state.className = "state " + (status.ready ? "ready" : "not-ready");
  $("reason").textContent = "(" + status.reason + ")";
  $("updated").textContent = new Date(status.takenAt).toISOString().slice(11, 19) + " UTC";
  if (previous !== undefined && status.takenAt > previous.takenAt) {
    const seconds = (status.takenAt - previous.takenAt) / 1000;
    for (const [direction, key] of [["in", "bytesIn"], ["out", "bytesOut"]]) {
      const delta = Math.max(0, status.totals[key] - previous.totals[key]);
      history[direction].push(delta * 8 / seconds);
      if (history[direction].length > POINTS) history[direction].shift();
      draw(direction);
    }
  }
  previous = status;
  const body = $("sessions");
  body.replaceChildren();
  if (status.sessions.length === 0) {
    const row = body.insertRow();
    cell(row, "no session");
    row.cells[0].colSpan = 7;
    row.cells[0].className = "empty";
  }
  for (const s of status.sessions) {
    const row = body.insertRow();
    row.className = "session";
    cell(row, s.peer);
    cell(row, (s.tunnelAddress ?? "-") + (s.routes.length ? " + " + s.routes.join(" ") : ""));
    cell(row, s.remote);
    cell(row, since(s.since));
    cell(row, s.rttMs === null ? "-" : s.rttMs.toFixed(2) + " ms", true);
    cell(row, bytes(s.bytesIn), true);
    cell(row, bytes(s.bytesOut), true);
  }
}

async function poll() {
  try {
    const response = await fetch("status.json", { cache: "no-store" });
    if (!response.ok) throw new Error("status.json: HTTP " + response.status);
    show(await response.json());
    $("error").textContent = "";
  } catch (error) {
    $("error").textContent = "(" + error.message + "; retrying)";
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
`;
