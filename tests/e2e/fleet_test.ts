/**
 * Many clients at once, with real processes: 50 clients in 50 namespaces (tools/lab/fleet_lab.ts)
 * started at the same moment, every one reachable both ways; then clients connecting and
 * disconnecting for about a minute, after which the server is back where it was: sessions,
 * routes on its TUN, descriptors and (within a stated tolerance) memory. Times are reported on the
 * console, never asserted. Needs root; skipped otherwise.
 */
import assert from "node:assert/strict";
import { eachLimited, FleetLab } from "../../tools/lab/fleet_lab.ts";
import { FLEET_SERVER_TUNNEL, REAPER_SCRIPT } from "../../tools/lab/fleet_plan.ts";
import { findProcess, TUNNEL_COMM } from "../../tools/bench/_proc.ts";
import { run, runOk } from "../../tools/lab/netns_lab.ts";
import type { TunnelProcess } from "../../tools/lab/tunnel_process.ts";
import { LAUNCHER, TEMP_PREFIX } from "../lib/e2e_lab.ts";
import { churnClient, type ChurnCounts, metricValue, seededRandom } from "../lib/fleet_churn.ts";
import { pollUntil } from "../lib/poll.ts";
import { openFds, rssMiB } from "../lib/proc_stats.ts";

const ignore = Deno.uid() !== 0;

const FLEET_SIZE = 50;
/** Clients that stay connected through the churn, and clients that come and go. */
const STEADY = 2;
const CHURNING = 10;
/** How long the clients come and go. */
const CHURN_MS = 55_000;
/**
 * How far the server's RSS may stay above its baseline once the churn is over and the runtime has
 * settled. The baseline is taken after one warm-up round of every churning client, so first-use
 * costs (compiled code, pools) are in it. What is left is V8 and malloc keeping pages they grew
 * into, which they give back slowly or not at all: 0.2 to 2.5 MiB after this churn in seven runs
 * (2026-12-01); on 2026-12-08, 11-13 MiB right after the churn, given back in steps to 1.6-2.2 MiB
 * within 25-30 s on a quiet machine, more slowly on a loaded one (hence the 90 s wait);
 * a burst of 16,000 set-ups in 32 s (bench --fleet's load generator) raised it by 56 MiB, which
 * stayed, but stopped growing after the first 4,000 (a high-water mark, not a leak). 8 MiB over
 * the churn's 150+ sessions is more than 50 KiB each: a session that kept its 64 KiB reassembly
 * buffer or its send queue would pass it. Leaked descriptors, sessions and routes are caught
 * exactly by the other checks.
 */
const RSS_TOLERANCE_MIB = 8;

/** The program the lab starts: the checkout launcher, as for every end-to-end test. */
const COMMAND = [LAUNCHER];

interface StatusJson {
  readonly sessions: readonly { readonly peer: string; readonly tunnelAddress: string | null }[];
}

async function status(lab: FleetLab): Promise<StatusJson> {
  return JSON.parse(await lab.monitor("/status.json")) as StatusJson;
}

/** The tunnel process behind the spawned pid (the launcher execs deno). */
async function tunnelPid(process: TunnelProcess): Promise<number> {
  return (await findProcess(process.child.pid, TUNNEL_COMM)).pid;
}

function sortedRoutes(routes: unknown[]): string[] {
  return routes.map((route) => JSON.stringify(route)).sort();
}

Deno.test({
  name: `${FLEET_SIZE} clients started at once all reach the server, and it reaches every one`,
  ignore,
  async fn() {
    await using lab = await FleetLab.create({
      clients: FLEET_SIZE,
      command: COMMAND,
      tempPrefix: `${TEMP_PREFIX}fleet-`,
    });
    const server = await lab.startServer({ monitoring: true });
    const pid = await tunnelPid(server.process);
    const idleMiB = await rssMiB(pid);

    const started = performance.now();
    const clients = await Promise.all(lab.slots.map((slot) => lab.startClient(slot.index)));
    const exited: string[] = [];
    clients.forEach((client, i) =>
      client.child.status.then(({ code }) => exited.push(`${lab.slots[i]!.name}: ${code}`))
    );
    const deadline = started + 90_000;
    // At most 8 clients are probed at once: each probe is a process (ping) on a shared machine.
    await eachLimited(
      lab.slots,
      8,
      (slot) => lab.waitUntilUp(slot.index, clients[slot.index - 1]!, deadline),
    );
    const upMs = performance.now() - started;
    const fullMiB = await rssMiB(pid);
    console.log(
      `fleet: ${FLEET_SIZE} clients up both ways ${
        (upMs / 1000).toFixed(1)
      } s after their start; ` +
        `server RSS ${idleMiB.toFixed(1)} MiB before, ${fullMiB.toFixed(1)} MiB with them ` +
        `(${(((fullMiB - idleMiB) * 1024) / FLEET_SIZE).toFixed(0)} KiB a client)`,
    );

    // Each client is its own certificate at its own address, as the server sees it.
    const sessions = (await status(lab)).sessions;
    assert.equal(sessions.length, FLEET_SIZE);
    assert.deepEqual(
      // The address as the server reports it, without its prefix.
      sessions.map((s) => `${s.peer}=${s.tunnelAddress?.split("/")[0]}`).sort(),
      lab.slots.map((slot) => `${slot.name}=${slot.tunnelIp}`).sort(),
    );
    const metrics = await lab.monitor("/metrics");
    assert.equal(metricValue(metrics, "sssonector_sessions_active"), FLEET_SIZE);
    assert.deepEqual(exited, [], "clients that exited");
  },
});

Deno.test({
  name:
    "after a minute of clients coming and going, the server's sessions, routes, descriptors and memory return to their baseline",
  ignore,
  async fn() {
    const seed = Number(Deno.env.get("FLEET_SEED") ?? Date.now() % 2 ** 31);
    const random = seededRandom(seed);
    await using lab = await FleetLab.create({
      clients: STEADY + CHURNING,
      command: COMMAND,
      tempPrefix: `${TEMP_PREFIX}churn-`,
    });
    const server = await lab.startServer({ monitoring: true });
    const pid = await tunnelPid(server.process);
    const steady = lab.slots.slice(0, STEADY);
    const churning = lab.slots.slice(STEADY);
    const deadline = () => performance.now() + 60_000;

    // Warm-up: every client once, so first-use costs are part of the baseline.
    const steadyClients = await Promise.all(steady.map((slot) => lab.startClient(slot.index)));
    const warm = await Promise.all(churning.map((slot) => lab.startClient(slot.index)));
    const until = deadline();
    await eachLimited(lab.slots, 8, (slot) =>
      lab.waitUntilUp(
        slot.index,
        slot.index <= STEADY ? steadyClients[slot.index - 1]! : warm[slot.index - STEADY - 1]!,
        until,
      ));
    await Promise.all(warm.map((client) => client.stop(5000)));
    await pollUntil(
      async () => (await status(lab)).sessions.length === STEADY,
      `the server's sessions back to the ${STEADY} steady clients after the warm-up`,
      { timeoutMs: 20_000, intervalMs: 200 },
    );

    const baseline = {
      routes: sortedRoutes(await lab.serverRoutes()),
      fds: await openFds(pid),
      rssMiB: await rssMiB(pid),
      opened: metricValue(await lab.monitor("/metrics"), "sssonector_sessions_opened_total"),
    };

    const counts: ChurnCounts = { starts: 0, connected: 0, kills: 0, terms: 0 };
    const churnEnd = performance.now() + CHURN_MS;
    await Promise.all(
      churning.map((slot) => churnClient(lab, slot.index, churnEnd, random, counts)),
    );
    const peakMiB = await rssMiB(pid);

    // Every churning client is stopped: the server must let go of all it held for them.
    let now = { sessions: -1, active: -1, routes: [] as string[], fds: -1 };
    await pollUntil(
      async () => {
        const metrics = await lab.monitor("/metrics");
        now = {
          sessions: (await status(lab)).sessions.length,
          active: metricValue(metrics, "sssonector_sessions_active"),
          routes: sortedRoutes(await lab.serverRoutes()),
          // Read after the scrapes, whose connections are closed by then.
          fds: await openFds(pid),
        };
        return now.sessions === STEADY && now.active === STEADY && now.fds === baseline.fds &&
          JSON.stringify(now.routes) === JSON.stringify(baseline.routes);
      },
      "sessions, routes and descriptors back to the baseline",
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch((error) => {
      throw new Error(
        `${error.message}: baseline ${JSON.stringify(baseline)}, now ${JSON.stringify(now)}`,
      );
    });
    const opened = metricValue(await lab.monitor("/metrics"), "sssonector_sessions_opened_total") -
      baseline.opened;

    // The churn leaves the RSS 11-13 MiB up; V8 gives it back in steps, on an idle machine
    // within 30 s (to 1.6-2.2 MiB over the baseline, the same after a second minute of churn:
    // no leak), on a busy one later. A leak never comes back, however long this waits.
    let settledMiB = peakMiB;
    await pollUntil(
      async () => (settledMiB = await rssMiB(pid)) <= baseline.rssMiB + RSS_TOLERANCE_MIB,
      `server RSS within ${RSS_TOLERANCE_MIB} MiB of its baseline ${
        baseline.rssMiB.toFixed(1)
      } MiB`,
      { timeoutMs: 90_000, intervalMs: 500 },
    ).catch((error) => {
      throw new Error(`${error.message}: still ${settledMiB.toFixed(1)} MiB`);
    });
    console.log(
      `churn (seed ${seed}): ${counts.starts} client starts, ${counts.connected} connected ` +
        `(${counts.terms} SIGTERM, ` +
        `${counts.kills} SIGKILL), ${opened} sessions opened in ${CHURN_MS / 1000} s; server RSS ` +
        `${baseline.rssMiB.toFixed(1)} MiB before, ${
          peakMiB.toFixed(1)
        } at the end of the churn, ` +
        `${settledMiB.toFixed(1)} settled; fds ${baseline.fds} -> ${now.fds}; ` +
        `${baseline.routes.length} route(s) on tun0`,
    );
    // The churn really churned: every round that saw its client connect was a session, and
    // there were a few per client.
    assert.ok(opened >= counts.connected, `${opened} sessions for ${JSON.stringify(counts)}`);
    assert.ok(counts.connected >= CHURNING * 3, JSON.stringify(counts));
    assert.ok(counts.kills > 0 && counts.terms > 0, JSON.stringify(counts));

    // The steady clients never noticed.
    for (const slot of steady) {
      assert.ok(await lab.pingOnce(slot.ns, FLEET_SERVER_TUNNEL), `${slot.name} to the server`);
      assert.ok(await lab.pingOnce(lab.serverNs, slot.tunnelIp), `the server to ${slot.name}`);
    }
    const names = (await status(lab)).sessions.map((s) => s.peer).sort();
    assert.deepEqual(names, steady.map((slot) => slot.name).sort());
  },
});

Deno.test({
  name:
    "the reaper removes a lab's namespaces, their processes and its folder once the lab's pipe ends",
  ignore,
  async fn() {
    const prefix = `fl-${Deno.pid}-9999-`;
    const ns = `${prefix}c1`;
    const dir = await Deno.makeTempDir({ prefix: `${TEMP_PREFIX}fleet-reaper-` });
    await runOk("ip", ["netns", "add", ns]);
    const sleeper = new Deno.Command("ip", {
      args: ["netns", "exec", ns, "sleep", "300"],
      stdin: "null",
    }).spawn();
    const reaper = new Deno.Command("setsid", {
      args: ["sh", "-c", REAPER_SCRIPT, "fleet-reaper", prefix, dir],
      stdin: "piped",
    }).spawn();
    try {
      const writer = reaper.stdin.getWriter();
      // A line read is not the end: everything is still there after the reaper has taken it.
      await writer.write(new TextEncoder().encode("still here\n"));
      await pollUntil(
        async () => (await run("ip", ["netns", "pids", ns])).stdout.trim() !== "",
        "the sleeper runs in its namespace",
      );
      assert.equal((await Deno.stat(dir)).isDirectory, true);
      await writer.close();
      await reaper.status;
      assert.equal((await sleeper.status).signal, "SIGKILL");
      assert.ok(!(await run("ip", ["netns", "list"])).stdout.includes(ns), "namespace left");
      await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
    } finally {
      await run("ip", ["netns", "del", ns]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      try {
        sleeper.kill("SIGKILL");
      } catch { /* gone */ }
      await sleeper.status;
    }
  },
});

// Last in the file: what the tests above made is gone.
Deno.test({
  name: "the fleet tests leave no namespace, process or folder behind",
  ignore,
  async fn() {
    const ours = `fl-${Deno.pid}-`;
    const namespaces = (await run("ip", ["netns", "list"])).stdout.split("\n")
      .filter((line) => line.startsWith(ours));
    assert.deepEqual(namespaces, []);
    const processes = (await run("ps", ["-eo", "pid,args"])).stdout.split("\n")
      .filter((line) =>
        line.includes(`${TEMP_PREFIX}fleet-`) || line.includes(`${TEMP_PREFIX}churn-`)
      );
    assert.deepEqual(processes, []);
    const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
    for await (const entry of Deno.readDir(tmp)) {
      assert.ok(
        !entry.name.startsWith(`${TEMP_PREFIX}fleet-`) &&
          !entry.name.startsWith(`${TEMP_PREFIX}churn-`),
        entry.name,
      );
    }
  },
});
