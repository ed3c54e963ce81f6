import assert from "node:assert/strict";
import { acceptablePushedRoutes } from "../../src/client/pushed_routes.ts";
import { statedPrefix } from "../../src/frame/control.ts";
import { routedIntoTunnel, UnderlayAddresses } from "../../src/client/underlay.ts";
import { formatPrefix, ipv4Prefix, ipv6Prefix, prefix } from "../../src/ip/prefix.ts";

const config = {
  address: ipv4Prefix("10.0.0.2/24"),
  address6: ipv6Prefix("fd00:5::2/64"),
  routes: [prefix("172.16.0.0/12")],
};

Deno.test("acceptablePushedRoutes() takes networks and refuses what would hijack or loop", () => {
  const { accepted, refused } = acceptablePushedRoutes(
    [
      "192.168.1.0/24",
      "fd00:1::/64",
      "192.168.1.0/24", // twice: once
      "172.16.0.0/12", // the client's own: installed for good already
      "0.0.0.0/0",
      "::/0",
      "10.0.0.0/16",
      "fd00:5::/48",
      "198.18.0.0/16",
      "192.168.2.7/24",
      "nonsense",
      "192.168.3.1",
    ].map(statedPrefix),
    config,
    new UnderlayAddresses({ servers: [{ host: "198.18.0.1", port: 443 }] }).all({
      remote: "198.18.0.1:443",
    }),
  );
  assert.deepEqual(accepted.map(formatPrefix), ["192.168.1.0/24", "fd00:1::/64"]);
  assert.deepEqual(refused, [
    "0.0.0.0/0: a default route through the tunnel is not taken from the server",
    "::/0: a default route through the tunnel is not taken from the server",
    "10.0.0.0/16 overlaps the tunnel network 10.0.0.0/24",
    "fd00:5::/48 overlaps the tunnel network fd00:5::/64",
    "198.18.0.0/16 holds the server's own address 198.18.0.1:443: the tunnel would be routed into itself",
    '"192.168.2.7/24" is not a network (address/prefix, host bits clear)',
    '"nonsense" is not a network (address/prefix, host bits clear)',
    '"192.168.3.1" is not a network (address/prefix, host bits clear)',
  ]);
});

Deno.test("acceptablePushedRoutes() reads an IPv6 server address", () => {
  const underlay = new UnderlayAddresses({ servers: [{ host: "2001:db8::1", port: 443 }] });
  const { refused } = acceptablePushedRoutes(
    [statedPrefix("2001:db8::/32")],
    config,
    underlay.all({ remote: "[2001:db8::1]:443" }),
  );
  assert.match(refused[0]!, /holds the server's own address/);
});

Deno.test("acceptablePushedRoutes() refuses a route holding any address of the client's underlay (TunnelCrack ServerIP)", () => {
  const underlay = new UnderlayAddresses({
    servers: [
      { host: "198.18.0.1", port: 443 },
      { host: "vpn.example.net", port: 443 },
      { host: "2001:db8:7::9", port: 443 },
    ],
    proxy: { url: "http://[2001:db8:9::3]:3128", noProxy: [] },
  });
  underlay.remember("vpn.example.net", ["203.0.113.40", "2001:db8:40::1"]);
  const { accepted, refused } = acceptablePushedRoutes(
    [
      "203.0.113.0/24", // server 2's name resolved here
      "2001:db8:40::/48", // and here
      "2001:db8:7::/64", // server 3, written as an IPv6 address
      "2001:db8:9::/64", // the proxy
      "192.0.2.0/24", // this host's own address on the path to the server
      "198.18.0.0/15", // server 1, connected through an IPv4-mapped address
      "192.168.50.0/24", // harmless
    ].map(statedPrefix),
    config,
    underlay.all({ remote: "[::ffff:198.18.0.1]:443", local: "::ffff:192.0.2.10" }),
  );
  assert.deepEqual(accepted.map(formatPrefix), ["192.168.50.0/24"]);
  assert.deepEqual(refused, [
    "203.0.113.0/24 holds 203.0.113.40 (what vpn.example.net resolved to): the tunnel would be routed into itself",
    "2001:db8:40::/48 holds 2001:db8:40::1 (what vpn.example.net resolved to): the tunnel would be routed into itself",
    "2001:db8:7::/64 holds server 3's address 2001:db8:7::9: the tunnel would be routed into itself",
    "2001:db8:9::/64 holds the proxy's address 2001:db8:9::3: the tunnel would be routed into itself",
    "192.0.2.0/24 holds this host's own address 192.0.2.10 on the path to the server: the tunnel would be routed into itself",
    "198.18.0.0/15 holds the server's own address [::ffff:198.18.0.1]:443: the tunnel would be routed into itself",
  ]);
});

Deno.test("UnderlayAddresses.remember() replaces what a name resolved to before, and keeps a bounded number", () => {
  const underlay = new UnderlayAddresses({ servers: [{ host: "vpn.example.net", port: 443 }] });
  underlay.remember("vpn.example.net", ["203.0.113.40"]);
  underlay.remember("vpn.example.net", Array.from({ length: 40 }, (_, i) => `198.51.100.${i}`));
  const all = underlay.all();
  assert.equal(all.length, 16);
  assert.ok(!all.some((a) => a.what.startsWith("203.0.113.40")));
});

Deno.test("routedIntoTunnel() names the route a re-resolved server address lies in", () => {
  const routes = [prefix("203.0.113.0/24"), prefix("2001:db8:40::/48")];
  assert.equal(
    routedIntoTunnel("203.0.113.40", routes, formatPrefix),
    "203.0.113.40 lies inside 203.0.113.0/24, routed through the tunnel: not dialled through it",
  );
  assert.match(routedIntoTunnel("2001:db8:40::1", routes, formatPrefix)!, /2001:db8:40::\/48/);
  assert.equal(routedIntoTunnel("198.51.100.1", routes, formatPrefix), undefined);
});
