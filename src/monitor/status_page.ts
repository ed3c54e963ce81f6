/**
 * The status page, `GET /`: one HTML document with its CSS and script inline and no external
 * asset, so it works on a host without internet access. On opening it reads `/history.json` (the
 * monitor's last ten minutes, one point a second), so the charts show the recent past at once;
 * then it polls `/status.json` every second, adds the new point and redraws the sessions table
 * (with each session's current rate) and the two throughput charts (in and out, bits per second,
 * with a labelled rate axis and a clock-time axis over the last ten minutes). The page keeps at
 * most the history's capacity of points. Peer-supplied text goes into the page through
 * textContent only.
 *
 * @module
 */

/** The Content-Security-Policy sent with the page: nothing but itself and its two JSON files. */
export const STATUS_PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
  "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; " +
  "frame-ancestors 'none'";

/** One chart: an SVG with a plot area, its axes drawn by the script. */
function chart(direction: "in" | "out", caption: string): string {
  return `<figure><figcaption>${caption} <span class="rate" id="rate-${direction}">-</span>
  </figcaption><svg id="chart-${direction}" class="chart ${direction}" viewBox="0 0 640 200"
    data-latest="0" role="img" aria-label="throughput ${direction}, bits per second, last 10 minutes">
    <g class="grid"></g><g class="y-axis"></g><g class="x-axis"></g>
    <polyline fill="none" stroke-width="1.5" points=""/></svg></figure>`;
}

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SSSonector status</title>
<style>
  :root { color-scheme: light dark; --in: #1f77b4; --out: #d62728; --muted: #888; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; max-width: 72rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  .meta { color: var(--muted); margin-bottom: 1rem; }
  .state { font-weight: 600; }
  .state.ready { color: #2ca02c; } .state.not-ready { color: var(--out); }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #8884; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(26rem, 1fr)); gap: 1rem; }
  figure { margin: 0; } figcaption { font-weight: 600; }
  figcaption .rate { font-weight: 400; font-variant-numeric: tabular-nums; }
  svg.chart { width: 100%; height: auto; border: 1px solid #8884; }
  svg.chart text { font-size: 11px; fill: currentColor; opacity: .75; }
  svg.chart .grid line { stroke: #8884; stroke-width: 1; }
  svg.chart .axis-line { stroke: currentColor; opacity: .6; }
  svg.chart.in polyline { stroke: var(--in); } svg.chart.out polyline { stroke: var(--out); }
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
  ${chart("in", "In (from peers)")}
  ${chart("out", "Out (to peers)")}
</div>
<h2>Sessions</h2>
<table>
  <thead><tr><th>peer</th><th>tunnel address</th><th>remote address</th><th>since</th>
    <th class="num">RTT</th><th class="num">bytes in</th><th class="num">bytes out</th>
    <th class="num">rate in</th><th class="num">rate out</th><th>sparse lane</th></tr></thead>
  <tbody id="sessions"><tr><td colspan="10" class="empty">no session</td></tr></tbody>
</table>
<script>
"use strict";
const WINDOW_MS = 10 * 60 * 1000;
const SVG = "http://www.w3.org/2000/svg";
/** Plot area inside the 640x200 view box: room for the rate labels left, the clock below. */
const PLOT = { left: 64, right: 632, top: 8, bottom: 178 };
let capacity = 600;
const points = [];

const $ = (id) => document.getElementById(id);

function bits(rate) {
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
  let value = rate, unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++; }
  return value.toFixed(value < 10 && unit > 0 ? 2 : 0) + " " + units[unit];
}

/** An axis label: bits() without trailing zeros, e.g. "2 Mbit/s", "0.4 kbit/s". */
function axisBits(rate) {
  const [number, unit] = bits(rate).split(" ");
  return String(Number(number)) + " " + unit;
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return (unit === 0 ? String(value) : value.toFixed(1)) + " " + units[unit];
}

function clock(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

function since(ms) {
  const s = Math.max(0, Math.floor((Date.now() - ms) / 1000));
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC (" +
    (h > 0 ? h + " h " : "") + m + " min " + (s % 60) + " s ago)";
}

/** The sparse lane: up or down with its packets sent, or "-" when the session never had one. */
function lane(view) {
  if (!view || (!view.up && view.opened === 0)) return "-";
  return (view.up ? "up" : "down") + ", " + view.packetsOut + " packets";
}

/** The smallest 1, 2 or 5 times a power of ten at or above value (at least 1). */
function niceMax(value) {
  if (value <= 1) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function element(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function draw(direction) {
  const svg = $("chart-" + direction);
  const end = points.length === 0 ? Date.now() : points[points.length - 1].t;
  const start = end - WINDOW_MS;
  const values = points.filter((p) => p.t >= start).map((p) => ({ t: p.t, v: p[direction] }));
  const peak = Math.max(0, ...values.map((p) => p.v));
  const top = niceMax(peak);
  const x = (t) => PLOT.left + (t - start) / WINDOW_MS * (PLOT.right - PLOT.left);
  const y = (v) => PLOT.bottom - v / top * (PLOT.bottom - PLOT.top);
  const grid = svg.querySelector(".grid"), yAxis = svg.querySelector(".y-axis");
  const xAxis = svg.querySelector(".x-axis");
  grid.replaceChildren(); yAxis.replaceChildren(); xAxis.replaceChildren();
  // Rate axis from 0 to the top in round steps (a top of 1 or 5 in five, of 2 in four).
  const steps = String(top)[0] === "2" ? 4 : 5;
  for (let i = 0; i <= steps; i++) {
    const value = top * i / steps, at = y(value).toFixed(1);
    grid.append(element("line", { x1: PLOT.left, x2: PLOT.right, y1: at, y2: at }));
    yAxis.append(element("text", { x: PLOT.left - 4, y: Number(at) + 4, "text-anchor": "end" },
      axisBits(value)));
  }
  yAxis.append(element("line", { class: "axis-line", x1: PLOT.left, x2: PLOT.left,
    y1: PLOT.top, y2: PLOT.bottom }));
  // Time axis: a tick every two minutes of clock time (UTC, like the log), the window's end last.
  xAxis.append(element("line", { class: "axis-line", x1: PLOT.left, x2: PLOT.right,
    y1: PLOT.bottom, y2: PLOT.bottom }));
  const step = 2 * 60 * 1000;
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    const at = x(t);
    xAxis.append(element("line", { class: "axis-line", x1: at, x2: at, y1: PLOT.bottom,
      y2: PLOT.bottom + 4 }));
    const anchor = at < PLOT.left + 30 ? "start" : at > PLOT.right - 30 ? "end" : "middle";
    xAxis.append(element("text", { x: at, y: PLOT.bottom + 16, "text-anchor": anchor },
      clock(t).slice(0, 5)));
  }
  svg.querySelector("polyline").setAttribute("points",
    values.map((p) => x(p.t).toFixed(1) + "," + y(p.v).toFixed(1)).join(" "));
  const latest = values.length === 0 ? 0 : values[values.length - 1].v;
  svg.dataset.latest = String(latest);
  $("rate-" + direction).textContent = bits(latest) + " (peak " + bits(peak) +
    " in the last 10 min, UTC)";
}

function add(point) {
  if (points.length > 0 && point.t <= points[points.length - 1].t) return;
  points.push(point);
  while (points.length > capacity) points.shift();
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
  $("updated").textContent = clock(status.takenAt) + " UTC";
  if (status.totals.rate) {
    add({ t: status.takenAt, in: status.totals.rate.in, out: status.totals.rate.out });
  }
  draw("in");
  draw("out");
  const body = $("sessions");
  body.replaceChildren();
  if (status.sessions.length === 0) {
    const row = body.insertRow();
    cell(row, "no session");
    row.cells[0].colSpan = 10;
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
    cell(row, s.rate ? bits(s.rate.in) : "-", true);
    cell(row, s.rate ? bits(s.rate.out) : "-", true);
    cell(row, lane(s.lane));
  }
}

async function loadHistory() {
  try {
    const response = await fetch("history.json", { cache: "no-store" });
    if (!response.ok) throw new Error("history.json: HTTP " + response.status);
    const history = await response.json();
    capacity = history.capacity;
    for (const point of history.points) add(point);
  } catch (error) {
    $("error").textContent = "(" + error.message + ")";
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
loadHistory().then(poll);
</script>
</body>
</html>
`;
