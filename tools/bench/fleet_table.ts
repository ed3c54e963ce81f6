/** Pure text rendering of a fleet benchmark report (tools/bench/fleet.ts): tables and notes. */
import { poolSpread } from "../lab/fleet_pool_plan.ts";
import type { FleetReport, MemoryResult, Outcome, SetupRow, ThroughputRow } from "./fleet.ts";
import { LOAD_SOURCE_NETWORK } from "./fleet_sources.ts";
import { ratio } from "./ratio.ts";
import { formatColumns, formatGbit, formatMs, formatRatio } from "./table.ts";

function memoryLines(memory: MemoryResult): string[] {
  const table = formatColumns(
    [{ title: "idle clients" }, { title: "server RSS MiB" }],
    memory.points.map((point) => [
      String(point.clients),
      (point.rssKiB / 1024).toFixed(1) + (point.settled ? "" : " (still moving)"),
    ]),
  );
  return [
    table,
    `slope: ${memory.kibPerClient.toFixed(0)} KiB per idle client (least squares); ` +
    `${(memory.interceptKiB / 1024).toFixed(1)} MiB at 0 clients`,
  ];
}

function throughputLines(rows: readonly ThroughputRow[]): string[] {
  return [formatColumns(
    [
      { title: "clients" },
      { title: "total Gbit/s" },
      { title: "per client Gbit/s" },
      { title: "server CPU s" },
      { title: "server cores" },
      { title: "server CPU s/Gbit" },
      { title: "clients CPU s" },
      { title: "machine busy" },
      { title: "retransmits" },
      { title: "mean packet KiB" },
    ],
    rows.map((row) => [
      String(row.clients),
      formatGbit(row.aggregateBps),
      row.clients === 1
        ? formatGbit(row.minClientBps)
        : `${formatGbit(row.minClientBps)}..${formatGbit(row.maxClientBps)}`,
      row.serverCpuSeconds.toFixed(1),
      row.serverCores.toFixed(2),
      row.cpuSecondsPerGbit === null ? "-" : row.cpuSecondsPerGbit.toFixed(3),
      row.clientsCpuSeconds.toFixed(1),
      `${(row.machineBusy * 100).toFixed(0)}%`,
      String(row.retransmits),
      row.meanPacketBytes === null ? "-" : (row.meanPacketBytes / 1024).toFixed(1),
    ]),
  )];
}

function setupLines(rows: readonly SetupRow[]): string[] {
  const table = formatColumns(
    [
      { title: "what", align: "left" },
      { title: "per second" },
      { title: "completed" },
      { title: "failed" },
      { title: "ms med/p99" },
      { title: "server CPU ms each" },
      { title: "server cores" },
      { title: "generator CPU s" },
    ],
    rows.map((row) => [
      row.label,
      row.load.perSecond.toFixed(0),
      String(row.load.completed),
      String(row.load.failed),
      `${formatMs(row.load.medianMs)}/${formatMs(row.load.p99Ms)}`,
      row.serverCpuMsPerConnection === null ? "-" : row.serverCpuMsPerConnection.toFixed(2),
      row.serverCores.toFixed(2),
      row.load.generatorCpuSeconds.toFixed(1),
    ]),
  );
  const failures = rows.flatMap((row) =>
    Object.entries(row.load.failures).map(([reason, count]) =>
      `note: ${row.mode}: ${count} x ${reason}`
    )
  );
  return [table, ...failures];
}

/** One line of the pool comparison: the one server's figure, the pool's and their ratio. */
export interface PoolComparison {
  readonly what: string;
  readonly one: number | undefined;
  readonly pool: number | undefined;
  /** pool / one; undefined when either is missing. */
  readonly ratio: number | undefined;
  readonly unit: "Gbit/s" | "/s";
}

function okOr<T>(outcome: Outcome<T>): T | undefined {
  return "ok" in outcome ? outcome.ok : undefined;
}

/**
 * The pool row beside the one-server rows: aggregate throughput for every client count either
 * series measured, then tunnel set-ups per second; a side that failed or lacks a count is
 * missing, and so is its ratio.
 */
export function poolComparisons(report: FleetReport): PoolComparison[] {
  const one = okOr(report.throughput) ?? [];
  const pool = okOr(report.poolThroughput) ?? [];
  const counts = [...new Set([...one, ...pool].map((row) => row.clients))].sort((a, b) => a - b);
  const lines: PoolComparison[] = counts.map((clients) => {
    const spread = poolSpread(clients);
    const a = one.find((row) => row.clients === clients)?.aggregateBps;
    const b = pool.find((row) => row.clients === clients)?.aggregateBps;
    return {
      what: `throughput, ${clients} client${clients === 1 ? "" : "s"} ` +
        `(pool: ${spread.a} on a, ${spread.b} on b)`,
      one: a,
      pool: b,
      ratio: ratio(b, a),
      unit: "Gbit/s",
    };
  });
  const setupOne = okOr(report.setups)?.find((row) => row.mode === "setup")?.load.perSecond;
  const setupPool = okOr(report.poolSetups)?.load.perSecond;
  lines.push({
    what: "tunnel set-ups per second (load split half and half)",
    one: setupOne,
    pool: setupPool,
    ratio: ratio(setupPool, setupOne),
    unit: "/s",
  });
  return lines;
}

function figure(value: number | undefined, unit: PoolComparison["unit"]): string {
  if (value === undefined) return "-";
  return unit === "Gbit/s" ? formatGbit(value) : value.toFixed(0);
}

function poolLines(report: FleetReport): string[] {
  const table = formatColumns(
    [
      { title: "what", align: "left" },
      { title: "one server" },
      { title: "pool of 2" },
      { title: "pool/one" },
      { title: "unit", align: "left" },
    ],
    poolComparisons(report).map((line) => [
      line.what,
      figure(line.one, line.unit),
      figure(line.pool, line.unit),
      formatRatio(line.ratio),
      line.unit,
    ]),
  );
  const failed = [
    ["pool throughput", report.poolThroughput],
    ["pool set-ups", report.poolSetups],
  ].flatMap(([what, outcome]) =>
    "failed" in (outcome as Outcome<unknown>)
      ? [`failed: ${what}: ${(outcome as { failed: string }).failed}`]
      : []
  );
  const poolThroughput = okOr(report.poolThroughput);
  const poolSetups = okOr(report.poolSetups);
  return [
    table,
    ...failed,
    ...(poolThroughput
      ? [
        "pool throughput in detail (server CPU: both servers together):",
        ...throughputLines(poolThroughput),
      ]
      : []),
    ...(poolSetups
      ? ["pool set-ups in detail (server CPU: both servers together):", ...setupLines([poolSetups])]
      : []),
  ];
}

function section<T>(title: string, outcome: Outcome<T>, lines: (value: T) => string[]): string[] {
  return [
    title,
    ...("ok" in outcome ? lines(outcome.ok) : [`failed: ${outcome.failed}`]),
    "",
  ];
}

/** The whole printout: title, machine, then memory, throughput and set-ups. */
export function formatFleetReport(report: FleetReport): string {
  const { machine, settings } = report;
  return [
    `SSSonector fleet benchmark (${settings.quick ? "quick" : "full"}): ${report.date}`,
    `machine: nproc ${machine.nproc}, kernel ${machine.kernel}` +
    (machine.cpuModel ? `, ${machine.cpuModel}` : "") +
    (machine.loadAverage ? `, load ${machine.loadAverage}` : ""),
    `software: sssonector ${machine.sssonector}, deno ${machine.deno}`,
    "",
    ...section(
      "memory per idle client: the server's RSS, read once it stops moving",
      report.memory,
      memoryLines,
    ),
    ...section(
      `throughput: clients pushing at once, iperf3 one TCP stream each, ` +
        `${settings.throughputSeconds} s, client to server`,
      report.throughput,
      throughputLines,
    ),
    ...section(
      `set-ups per second: ${settings.loadConcurrency} connections at once from ` +
        `${settings.loadIdentities} certificates, ${settings.loadMs / 1000} s counted after ` +
        `${settings.loadWarmupMs / 1000} s of warm-up`,
      report.setups,
      setupLines,
    ),
    "pool of two servers (`pool: true`, one namespace, each its own TUN and address) against " +
    "one server: the clients' server: lists put odd clients on a and even clients on b; for " +
    "each client count one server then the pool, each with fresh servers and only those clients " +
    "connected; the pool's set-up load right after the one server's, the same load split " +
    "between a and b",
    ...poolLines(report),
    "",
    "server CPU s/Gbit: the server process's user + system CPU seconds per 10^9 bits carried " +
    "(the same as CPU seconds per second per Gbit/s)",
    "set-ups: mutual-TLS handshake, the client's Hello, the server's Hello, the client's Close, " +
    "the server's end of the connection; a certificate is used again only after its connection " +
    "closed; bare TLS: the product's listener ending each authenticated connection at once; " +
    "ms med/p99 include about 40 ms each of the generator's TLS client waiting for a delayed ACK " +
    "(Nagle, see setup_load.ts), which costs no CPU",
    `set-up load: from as many source addresses as identities (${settings.loadIdentities}), of ` +
    `${LOAD_SOURCE_NETWORK}.0.0/16, one after the other, consecutive ones in different /24s, ` +
    "routed through client 1; the servers run with their default caps on pending connections",
  ].join("\n");
}
