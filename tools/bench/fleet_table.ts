/** Pure text rendering of a fleet benchmark report (tools/bench/fleet.ts): three tables and notes. */
import type { FleetReport, MemoryResult, Outcome, SetupRow, ThroughputRow } from "./fleet.ts";
import { formatColumns, formatGbit, formatMs } from "./table.ts";

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
    "server CPU s/Gbit: the server process's user + system CPU seconds per 10^9 bits carried " +
    "(the same as CPU seconds per second per Gbit/s)",
    "set-ups: mutual-TLS handshake, the client's Hello, the server's Hello, the client's Close, " +
    "the server's end of the connection; a certificate is used again only after its connection " +
    "closed; bare TLS: the product's listener ending each authenticated connection at once; " +
    "ms med/p99 include about 40 ms each of the generator's TLS client waiting for a delayed ACK " +
    "(Nagle, see setup_load.ts), which costs no CPU",
    `set-up server's security: ${
      Object.entries(settings.setupServerSecurity).map(([key, value]) => `${key} ${value}`)
        .join(", ")
    } (defaults 512 and 8), so that the caps never refuse the load`,
  ].join("\n");
}
