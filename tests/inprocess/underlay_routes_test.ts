/**
 * A client whose carrier comes from inside a network the server routes through the tunnel is
 * refused, told why (TunnelCrack "ServerIP" seen from the server). In one process: the fake
 * network's clients connect from 198.51.100.7.
 */
import assert from "node:assert/strict";
import {
  clientConfig,
  connected,
  InProcessLab,
  refusedWith,
  serverConfig,
} from "../lib/in_process.ts";
import { carrierInsideRoutes } from "../../src/server/underlay_routes.ts";
import { prefix } from "../../src/ip/prefix.ts";

Deno.test("a client connecting from inside a clients: network is refused and told which", async () => {
  await using lab = new InProcessLab();
  await lab.startServer(serverConfig(`clients:
  - name: lan
    routes: [198.51.100.0/24]
  - name: roamer
  - name: ok
unlisted: refuse`));
  const roamer = lab.startClient(clientConfig("10.0.0.5/24"), "roamer");
  const said = await refusedWith(roamer, /inside 198\.51\.100\.0\/24/);
  assert.match(
    said,
    /roamer connects from 198\.51\.100\.7:\d+, inside 198\.51\.100\.0\/24, the network of lan in clients:, which the server routes through the tunnel/,
  );
  const lan = lab.startClient(clientConfig("10.0.0.6/24"), "lan");
  await refusedWith(lan, /inside 198\.51\.100\.0\/24, its own network in clients:/);
});

Deno.test("a client outside every clients: network gets in", async () => {
  await using lab = new InProcessLab();
  await lab.startServer(serverConfig(`clients:
  - name: lan
    routes: [192.168.7.0/24]
  - name: ok
unlisted: refuse`));
  const ok = lab.startClient(clientConfig("10.0.0.5/24"), "ok");
  await connected(ok);
});

Deno.test("carrierInsideRoutes() reads every form of the carrier's address, both families", () => {
  const config = {
    registry: {
      unlisted: "refuse" as const,
      clients: [{
        name: "lan",
        allow: true,
        addresses: [],
        routes: [prefix("203.0.113.0/24"), prefix("2001:db8:5::/48")],
      }],
    },
  };
  for (
    const remote of [
      "203.0.113.9",
      "::ffff:203.0.113.9",
      "203.0.113.9:443",
      "[2001:db8:5::1]:443",
      "2001:db8:5::1",
    ]
  ) {
    assert.ok(carrierInsideRoutes("x", remote, config), remote);
  }
  assert.equal(carrierInsideRoutes("x", "198.51.100.1:443", config), undefined);
  assert.equal(carrierInsideRoutes("x", "[2001:db8:6::1]:443", config), undefined);
  assert.equal(carrierInsideRoutes("x", "unknown peer", config), undefined);
});
