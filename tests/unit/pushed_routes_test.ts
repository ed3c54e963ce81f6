import assert from "node:assert/strict";
import { acceptablePushedRoutes } from "../../src/client/pushed_routes.ts";
import { statedPrefix } from "../../src/frame/control.ts";
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
    "198.18.0.1:443",
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
  const { refused } = acceptablePushedRoutes(
    [statedPrefix("2001:db8::/32")],
    config,
    "[2001:db8::1]:443",
  );
  assert.match(refused[0]!, /holds the server's own address/);
});
