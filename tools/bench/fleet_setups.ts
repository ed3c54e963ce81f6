/**
 * The set-up series of `bench --fleet` (tools/bench/fleet.ts): the load generator
 * (tools/bench/setup_load.ts) run in client 1's namespace against the bare-TLS listener, the
 * lab's one server, and a pool of two servers, with the servers' CPU over each load. Its
 * connections come from many sources (tools/bench/fleet_sources.ts), so the servers run with
 * their default caps.
 *
 * @module
 */

import type { FleetIdentity, FleetLab } from "../lab/fleet_lab.ts";
import { FLEET_PORT } from "../lab/fleet_configs.ts";
import { FLEET_SERVER_UNDERLAY } from "../lab/fleet_plan.ts";
import { poolLoadHost } from "../lab/fleet_pool_plan.ts";
import { LabError } from "../lab/netns_lab.ts";
import { readProcStat } from "./_proc.ts";
import type { FleetSettings, SetupRow } from "./fleet.ts";
import { startOneServer, startPoolServers } from "./fleet_servers.ts";
import { withLoadSources } from "./fleet_sources.ts";
import { cpuSecondsBetween } from "./proc_stat.ts";
import type { LoadPlan, LoadReport } from "./setup_load.ts";

const SETUP_LOAD = new URL("./setup_load.ts", import.meta.url).pathname;
const TLS_DOOR = new URL("./tls_door.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;

function say(line: string): void {
  console.log(line);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the load generator in client 1's namespace to completion, its connections coming from as
 * many sources as it has identities (tools/bench/fleet_sources.ts); returns its report.
 */
async function runLoadGenerator(lab: FleetLab, plan: LoadPlan): Promise<LoadReport> {
  const planFile = `${lab.dir}/load-${plan.mode}.json`;
  await Deno.writeTextFile(planFile, JSON.stringify(plan));
  const generator = lab.slot(1);
  const servers = new Set([plan.host, ...plan.identities.flatMap((id) => id.host ?? [])]);
  const target = { servers: [...servers], port: plan.port, count: plan.identities.length };
  const output = await withLoadSources(lab, generator, target, () =>
    lab.spawn(
      generator.ns,
      Deno.execPath(),
      ["run", "-A", "--quiet", "--frozen", "--config", DENO_JSON, SETUP_LOAD, planFile],
      { stdout: "piped", stderr: "piped" },
    ).output());
  const text = new TextDecoder().decode(output.stdout).trim();
  if (output.code !== 0 || !text.startsWith("{")) {
    throw new LabError(
      `the load generator failed (exit ${output.code}): ` +
        new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" "),
    );
  }
  return JSON.parse(text.split("\n").at(-1)!) as LoadReport;
}

/** Starts the bare-TLS listener in the server namespace and waits for its ready line. */
async function startTlsDoor(lab: FleetLab): Promise<Deno.ChildProcess> {
  const door = lab.spawn(lab.serverNs, Deno.execPath(), [
    ...["run", "-A", "--quiet", "--frozen", "--config", DENO_JSON, TLS_DOOR],
    ...[FLEET_SERVER_UNDERLAY, String(FLEET_PORT)],
    ...["server.crt", "server.key", "ca.crt"].map((file) => `${lab.certDir}/${file}`),
  ], { stdout: "piped" });
  const reader = door.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await Promise.race([
    reader.read(),
    pause(30_000).then(() => ({ done: true, value: undefined })),
  ]);
  if (first.done || !first.value?.includes("listening")) {
    await lab.stop(door, 1000);
    throw new LabError("the bare-TLS listener did not start");
  }
  // Keep its pipe drained; it prints nothing more.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return door;
}

/** Client certificates for the load, issued once per lab however many series use them. */
const issued = new WeakMap<FleetLab, Promise<FleetIdentity[]>>();
function loadIdentities(lab: FleetLab, count: number): Promise<FleetIdentity[]> {
  let identities = issued.get(lab);
  if (!identities) issued.set(lab, identities = lab.issueIdentities(count));
  return identities;
}

/** The load generator's plan; `hostOf` picks each identity's server (a pool), else the one. */
function loadPlan(
  lab: FleetLab,
  settings: FleetSettings,
  identities: readonly FleetIdentity[],
  mode: LoadPlan["mode"],
  hostOf?: (position: number) => string,
): LoadPlan {
  return {
    mode,
    host: FLEET_SERVER_UNDERLAY,
    port: FLEET_PORT,
    caFile: `${lab.certDir}/ca.crt`,
    identities: identities.map((id, position) => ({
      certFile: id.certFile,
      keyFile: id.keyFile,
      address: `${id.tunnelIp}/${lab.tunnelPrefix}`,
      ...(hostOf ? { host: hostOf(position) } : {}),
    })),
    concurrency: settings.loadConcurrency,
    warmupMs: settings.loadWarmupMs,
    durationMs: settings.loadMs,
  };
}

/** Runs one load against the servers of `pids` and counts their CPU. */
async function setupRow(
  lab: FleetLab,
  settings: FleetSettings,
  ticks: number,
  plan: LoadPlan,
  label: string,
  pids: readonly number[],
): Promise<SetupRow> {
  const before = await Promise.all(pids.map(readProcStat));
  const load = await runLoadGenerator(lab, plan);
  const after = await Promise.all(pids.map(readProcStat));
  const cpu = before.reduce((sum, stat, i) => sum + cpuSecondsBetween(stat, after[i]!, ticks), 0);
  say(
    `    ${label}: ${load.perSecond.toFixed(0)}/s (${load.completed} in ` +
      `${load.seconds.toFixed(1)} s, ${load.failed} failed)`,
  );
  return {
    mode: plan.mode,
    label,
    servers: pids.length,
    load,
    serverCpuSeconds: cpu,
    serverCpuMsPerConnection: load.totalCompleted > 0 ? (cpu * 1000) / load.totalCompleted : null,
    // Over the load's warm-up and counted part (the generator's own start-up costs the server
    // nothing).
    serverCores: cpu / (settings.loadWarmupMs / 1000 + load.seconds),
  };
}

/** Bare TLS handshakes against the product's listener, then tunnel set-ups against one server. */
export async function measureSetups(
  lab: FleetLab,
  settings: FleetSettings,
  ticks: number,
): Promise<SetupRow[]> {
  const identities = await loadIdentities(lab, settings.loadIdentities);
  const rows: SetupRow[] = [];
  const door = await startTlsDoor(lab);
  try {
    rows.push(
      await setupRow(
        lab,
        settings,
        ticks,
        loadPlan(lab, settings, identities, "tls"),
        "bare TLS handshakes (listener only)",
        [door.pid],
      ),
    );
  } finally {
    await lab.stop(door, 2000);
  }
  const servers = await startOneServer(lab);
  try {
    rows.push(
      await setupRow(
        lab,
        settings,
        ticks,
        loadPlan(lab, settings, identities, "setup"),
        "tunnel set-ups (TLS + Hello + Close)",
        servers.pids,
      ),
    );
  } finally {
    await servers.stop();
  }
  return rows;
}

/**
 * The same load of tunnel set-ups against a pool of two servers at once: the identities
 * alternate between the servers (each one always goes to the same server), the generator and
 * its connections in flight are the same as against one server.
 */
export async function measurePoolSetups(
  lab: FleetLab,
  settings: FleetSettings,
  ticks: number,
): Promise<SetupRow> {
  const identities = await loadIdentities(lab, settings.loadIdentities);
  const servers = await startPoolServers(lab);
  try {
    return await setupRow(
      lab,
      settings,
      ticks,
      loadPlan(lab, settings, identities, "setup", poolLoadHost),
      "tunnel set-ups, pool of two servers",
      servers.pids,
    );
  } finally {
    await servers.stop();
  }
}
