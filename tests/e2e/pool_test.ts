/**
 * An active-active pool with real BIRD 2 (tests/lib/pool_lab.ts): two servers with `pool: true`
 * announce the client they hold over BGP to a LAN router; the router routes the client's
 * networks and tunnel addresses via that server, and a host behind the router reaches the
 * client's LAN. A SIGKILLed server's client moves to the other server and the route follows;
 * a ping every 50 ms from the LAN host measures the outage.
 *
 * SSSONECTOR_POOL_TRIES=5 repeats the failover (alternating servers) for the figures in
 * docs/guide/pool.md; SSSONECTOR_POOL_BFD=0 runs BIRD without BFD. Needs root and bird2.
 */
import assert from "node:assert/strict";
import { POOL_METRIC_BASE, POOL_METRIC_RANGE } from "../../src/server/pool_routes.ts";
import { run } from "../../tools/lab/netns_lab.ts";
import { pollUntil } from "../lib/poll.ts";
import { ContinuousPing, type Outage } from "../lib/pool_ping.ts";
import { darken, mute, relight } from "../lib/pool_faults.ts";
import {
  CLIENT_LAN,
  CLIENT_LAN_HOST,
  CLIENT_TUNNEL,
  PoolLab,
  type PoolServer,
} from "../lib/pool_lab.ts";

const haveBird = (await run("sh", ["-c", "command -v bird"]).catch(() => ({ code: 1 }))).code === 0;
const asRoot = { ignore: Deno.uid() !== 0 || !haveBird };
const TRIES = Number(Deno.env.get("SSSONECTOR_POOL_TRIES") ?? "1");
const BFD = Deno.env.get("SSSONECTOR_POOL_BFD") !== "0";

/** Runs `body` with a new lab; when it fails, prints what the lab knows. */
async function withLab(
  options: Parameters<typeof PoolLab.create>[0],
  body: (lab: PoolLab) => Promise<void>,
): Promise<void> {
  await using lab = await PoolLab.create(options);
  try {
    await body(lab);
  } catch (error) {
    console.error(await lab.diagnose());
    throw error;
  }
}

/** Checks that `server` holds the client's four routes, all with one freshness metric. */
async function assertClientRoutes(lab: PoolLab, server: PoolServer): Promise<number> {
  const routes = [
    ...await lab.tunnelRoutes(server, "-4"),
    ...await lab.tunnelRoutes(server, "-6"),
  ];
  assert.deepEqual(
    routes.map((r) => r.dst).sort(),
    [CLIENT_TUNNEL.v4, CLIENT_LAN.v4, CLIENT_TUNNEL.v6, CLIENT_LAN.v6].sort(),
    `server ${server.name}'s routes of protocol 83`,
  );
  const metrics = new Set(routes.map((r) => r.metric));
  assert.equal(metrics.size, 1, `one metric for all: ${[...metrics]}`);
  const metric = routes[0]!.metric!;
  assert.ok(metric >= POOL_METRIC_BASE && metric < POOL_METRIC_BASE + POOL_METRIC_RANGE);
  assert.ok(routes.every((r) => r.dev === "tun0"));
  return metric;
}

/** Waits until the router sends the client's networks and tunnel addresses to `server`. */
async function routedVia(lab: PoolLab, server: PoolServer): Promise<void> {
  await lab.waitForNextHop(CLIENT_LAN.v4, server.lan);
  await lab.waitForNextHop(`${CLIENT_TUNNEL.v4}/32`, server.lan);
  await lab.waitForNextHop(CLIENT_LAN.v6, server.lan6);
  await lab.waitForNextHop(`${CLIENT_TUNNEL.v6}/128`, server.lan6);
}

/**
 * Pings the client's LAN host every 50 ms from the LAN host behind the router; once 10 replies
 * are in, does `fault`, waits until the router sends the client's networks to `to` and 10 more
 * replies have come, and returns the longest gap (the ping is stopped however this ends).
 */
async function outageAcross(
  lab: PoolLab,
  what: string,
  fault: () => Promise<void>,
  to: PoolServer,
): Promise<Outage> {
  const ping = ContinuousPing.start(lab.lanHost.ns, CLIENT_LAN_HOST.v4);
  let outage: Outage;
  try {
    await pollUntil(() => ping.received >= 10, `replies before ${what}`, { timeoutMs: 10_000 });
    await fault();
    await routedVia(lab, to);
    const seen = ping.received;
    await pollUntil(() => ping.received >= seen + 10, `replies after ${what}`, {
      timeoutMs: 20_000,
    });
  } finally {
    outage = await ping.stop();
  }
  return outage;
}

function summary(outages: readonly Outage[]) {
  const longest = outages.map((o) => o.longestMs).sort((a, b) => a - b);
  return {
    bfd: BFD,
    tries: outages.length,
    medianMs: longest[Math.floor((longest.length - 1) / 2)],
    worstMs: longest.at(-1),
    each: outages,
  };
}

Deno.test({
  name:
    "a pool announces its client through BIRD; a SIGKILLed server's client moves and the route follows",
  ...asRoot,
}, () =>
  withLab({ bfd: BFD }, async (lab) => {
    const [a, b] = lab.servers;
    await lab.startServer(a);
    await lab.startServer(b);
    await lab.startClient();
    await routedVia(lab, a);
    const metricA = await assertClientRoutes(lab, a);
    assert.deepEqual(await lab.tunnelRoutes(b, "-4"), [], "server b holds no client route");
    for (const address of [CLIENT_LAN_HOST.v4, CLIENT_LAN_HOST.v6, CLIENT_TUNNEL.v4]) {
      await lab.reach(address);
    }

    const outages: Outage[] = [];
    let lastMetric = metricA;
    for (let i = 0; i < TRIES; i++) {
      const [active, standby] = i % 2 === 0 ? [a, b] : [b, a];
      outages.push(await outageAcross(lab, "the failover", () => lab.killServer(active), standby));
      const metric = await assertClientRoutes(lab, standby);
      assert.ok(metric < lastMetric, `the newer session's metric ${metric} < ${lastMetric}`);
      lastMetric = metric;
      await lab.reach(CLIENT_LAN_HOST.v6);
      // Back for the next try, as an operator's systemd would restart it.
      await lab.startServer(active);
    }
    console.log(`pool failover outage: ${JSON.stringify(summary(outages))}`);
    for (const outage of outages) {
      assert.ok(outage.longestMs < 10_000, `outage ${outage.longestMs} ms < 10 s`);
    }
  }));

Deno.test({
  name:
    "a pool client returns to its primary after the hold-down (failback), and the route moves back",
  ...asRoot,
}, () =>
  withLab({
    bfd: BFD,
    clientExtra: "failback: 3\nmonitoring:\n  enabled: true\n  port: 9191\n",
  }, async (lab) => {
    const [a, b] = lab.servers;
    await lab.startServer(a);
    await lab.startServer(b);
    const client = await lab.startClient();
    await routedVia(lab, a);
    await lab.killServer(a);
    await routedVia(lab, b);
    await lab.reach(CLIENT_LAN_HOST.v4);
    const loss = await outageAcross(lab, "the return", async () => {
      await lab.startServer(a);
    }, a);
    console.log(`pool return to the primary: ${JSON.stringify(loss)}`);
    assert.match(await client.log(), /returning to server 1 172\.31\.0\.11:443/);
    const metrics = await lab.exec(
      lab.client,
      "curl",
      "-sf",
      "http://127.0.0.1:9191/metrics",
    );
    assert.match(
      metrics,
      /^sssonector_client_server\{server="172\.31\.0\.11:443",position="1"\} 1$/m,
    );
    await assertClientRoutes(lab, a);
    await pollUntil(
      async () => (await lab.tunnelRoutes(b, "-4")).length === 0,
      "server b removed the client's routes",
    );
    assert.ok(loss.lostMs <= 3000, `lost ${loss.lostMs} ms of pings on the return`);
  }));

Deno.test({
  name: "a pool client whose tunnel goes silent while TCP stays up moves to the other server",
  ...asRoot,
}, () =>
  withLab({ bfd: BFD }, async (lab) => {
    const [a, b] = lab.servers;
    await lab.startServer(a);
    await lab.startServer(b);
    const client = await lab.startClient();
    await routedVia(lab, a);
    const outage = await outageAcross(lab, "the silence", async () => {
      await mute(lab, a);
      const tcp = await lab.exec(
        lab.client,
        "ss",
        "-Htn",
        "state",
        "established",
        "dst",
        a.host.ip,
      );
      assert.notEqual(tcp.trim(), "", "the TCP connection to server a is up");
    }, b);
    console.log(`pool silent tunnel: ${JSON.stringify(outage)}`);
    assert.match(await client.log(), /nothing received for \d+ s/);
    await assertClientRoutes(lab, b);
    assert.ok(outage.longestMs < 10_000, `outage ${outage.longestMs} ms < 10 s`);
  }));

Deno.test({
  name: "a pool server host that goes dark: its client moves on when the tunnel falls silent",
  ...asRoot,
}, () =>
  withLab({ bfd: BFD }, async (lab) => {
    const [a, b] = lab.servers;
    await lab.startServer(a);
    await lab.startServer(b);
    await lab.startClient();
    await routedVia(lab, a);
    const outages: Outage[] = [];
    for (let i = 0; i < TRIES; i++) {
      const [active, standby] = i % 2 === 0 ? [a, b] : [b, a];
      outages.push(
        await outageAcross(lab, "the host goes dark", () => darken(lab, active), standby),
      );
      // The host comes back with a fresh server process, as after a reboot.
      await lab.killServer(active);
      await relight(lab, active);
      await lab.startServer(active);
    }
    console.log(`pool host gone dark: ${JSON.stringify(summary(outages))}`);
    for (const outage of outages) {
      assert.ok(outage.longestMs < 10_000, `outage ${outage.longestMs} ms < 10 s`);
    }
  }));
