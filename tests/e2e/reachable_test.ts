/**
 * What a client may reach through the server (src/server/reachable.ts), with real processes in
 * namespaces: the server forwards (ip_forward=1, as site to site needs), pushes 192.168.1.0/24,
 * and also has a LAN it does not push (192.168.2.0/24) and an address of its own outside the
 * tunnel (203.0.113.1 on its loopback, standing for its public address). A client that routes
 * those into its tunnel by hand must not reach them unless `reachable:` opens them; the drops
 * are counted in /metrics.
 */
import assert from "node:assert/strict";
import { E2eLab, type TunnelConfigs } from "../lib/e2e_lab.ts";
import { metricValue } from "../lib/fleet_churn.ts";
import { enableMonitoring, MONITOR_PORT } from "../lib/monitor_lab.ts";

const ignore = Deno.uid() !== 0;
const HOST_OWN = "203.0.113.1";
const REFUSED = 'sssonector_peer_dropped_packets_total{peer="client",reason="destination_refused"}';

async function reachLab(tag: string, serverExtra: string) {
  const lab = await E2eLab.create(tag);
  const pushed = await lab.addLan(lab.server, 1);
  const unpushed = await lab.addLan(lab.server, 2);
  await lab.net.exec(lab.server, "ip", ["addr", "add", `${HOST_OWN}/32`, "dev", "lo"]);
  const configs: TunnelConfigs = await lab.configs({
    serverExtra: `push_routes: [${pushed.network}]\n${serverExtra}`,
  });
  await enableMonitoring(configs.serverConfig);
  return { lab, pushed, unpushed, configs };
}

/** The client's own routes into the tunnel for what the server does not push. */
async function routeByHand(lab: E2eLab, ...destinations: string[]) {
  for (const destination of destinations) {
    await lab.net.exec(lab.client, "ip", ["route", "add", destination, "dev", "tun0"]);
  }
}

async function refusedCount(lab: E2eLab): Promise<number> {
  const metrics = await lab.net.exec(lab.server, "curl", [
    "-sf",
    "-m",
    "5",
    `http://127.0.0.1:${MONITOR_PORT}/metrics`,
  ]);
  return metricValue(metrics, REFUSED);
}

Deno.test({
  name:
    "a client reaches the pushed LAN but not the server's unpushed LAN or its other addresses, and the drops are counted",
  ignore,
  async fn() {
    const { lab, pushed, unpushed, configs } = await reachLab("reach", "");
    await using _lab = lab;
    await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, pushed.ip);
    await routeByHand(lab, unpushed.network, `${HOST_OWN}/32`);
    const before = await refusedCount(lab);
    for (const target of [unpushed.ip, "192.168.2.1", HOST_OWN]) {
      const result = await lab.ping(lab.client, target, { count: 3 });
      assert.ok(!result.ok, `${target} answered through the tunnel:\n${result.output}`);
    }
    assert.ok(
      (await refusedCount(lab)) >= before + 9,
      "every refused ping is counted as destination_refused",
    );
    // The server's tunnel address and the pushed LAN still answer.
    assert.ok((await lab.ping(lab.client, "10.0.0.1")).ok);
    assert.ok((await lab.ping(lab.client, pushed.ip)).ok);
  },
});

Deno.test({
  name: "reachable: opens a LAN the server does not push and an address of the server host",
  ignore,
  async fn() {
    const { lab, unpushed, configs } = await reachLab(
      "reachopen",
      `reachable: [192.168.2.0/24, ${HOST_OWN}/32]\n`,
    );
    await using _lab = lab;
    await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, "10.0.0.1");
    await routeByHand(lab, unpushed.network, `${HOST_OWN}/32`);
    for (const target of [unpushed.ip, HOST_OWN]) {
      await lab.waitForPing(lab.client, target);
    }
  },
});
