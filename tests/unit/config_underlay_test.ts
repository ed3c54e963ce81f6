import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { listed, TLS } from "../lib/config_text.ts";

// TunnelCrack "ServerIP": a route through the tunnel must not hold the address the carrier travels
// to outside it. Before this check these files were accepted, and the routes installed.

Deno.test("config check refuses a client route holding a listed server's or the proxy's address", () => {
  const text = `mode: client
server: [198.18.0.1:443, vpn.example.com:443, "[2001:db8:7::9]:443"]
address: [10.0.0.2/24, "fd00:5::2/64"]
routes: [198.18.0.0/16, "2001:db8:7::/64", 192.0.2.0/24, 192.168.5.0/24]
proxy:
  url: http://192.0.2.1:3128
${TLS}`;
  assert.deepEqual(listed(text), [
    [
      "routes[0]",
      4,
      "198.18.0.0/16 holds server 1's address 198.18.0.1 (server[0], line 2): the tunnel's own packets would be routed into the tunnel; route a network without it",
    ],
    [
      "routes[1]",
      4,
      "2001:db8:7::/64 holds server 3's address 2001:db8:7::9 (server[2], line 2): the tunnel's own packets would be routed into the tunnel; route a network without it",
    ],
    [
      "routes[2]",
      4,
      "192.0.2.0/24 holds the proxy's address 192.0.2.1 (proxy.url, line 6): the tunnel's own packets would be routed into the tunnel; route a network without it",
    ],
  ]);
});

Deno.test("config check refuses a server's push or registry route holding its listen address", () => {
  const text = `mode: server
listen: "[2001:db8:1::1]:443"
address: [10.0.0.1/24, "fd00:5::1/64"]
push_routes: ["2001:db8:1::/48", 192.168.5.0/24]
clients:
  - name: web1
    routes: ["2001:db8::/32"]
${TLS}`;
  const problems = listed(text);
  assert.deepEqual(problems.map(([path, line]) => [path, line]), [
    ["push_routes[0]", 4],
    ["clients[0].routes[0]", 7],
  ]);
  assert.match(
    problems[0]![2],
    /^2001:db8:1::\/48 holds the server's listen address 2001:db8:1::1 \(listen, line 2\)/,
  );
});

Deno.test("config check leaves a wildcard listen address and server names to run time", () => {
  const server = `mode: server
listen: 0.0.0.0:443
address: 10.0.0.1/24
push_routes: [192.168.0.0/16]
${TLS}`;
  assert.equal(parseConfig(server, "s.yaml").mode, "server");
  const client = `mode: client
server: vpn.example.com:443
address: 10.0.0.2/24
routes: [203.0.113.0/24]
${TLS}`;
  assert.equal(parseConfig(client, "c.yaml").mode, "client");
});
