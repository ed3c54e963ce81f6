import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { ipv4Prefix } from "../../src/ip/prefix.ts";
import { fleetClientYaml, fleetServerYaml } from "../../tools/lab/fleet_configs.ts";
import {
  clientBatch,
  clientTunnelIp,
  clientUnderlayIp,
  createNamespacesBatch,
  defaultTunnelPrefix,
  deleteNamespacesBatch,
  FLEET_BRIDGE,
  fleetSlots,
  MAX_FLEET_CLIENTS,
  newLabId,
  orphanPid,
  serverBatch,
  serverNamespace,
} from "../../tools/lab/fleet_plan.ts";
import { eachLimited } from "../../tools/lab/fleet_lab.ts";

Deno.test("fleetSlots() gives each client its own namespace, devices and addresses", () => {
  const slots = fleetSlots(4242, "0917", 300, 16);
  assert.equal(slots.length, 300);
  for (const key of ["name", "ns", "veth", "bridgePort", "underlayIp", "tunnelIp"] as const) {
    assert.equal(new Set(slots.map((slot) => slot[key])).size, 300, `${key} repeats`);
  }
  assert.deepEqual(slots[0], {
    index: 1,
    name: "c1",
    ns: "fl-4242-0917-c1",
    veth: "fl0917c1",
    bridgePort: "fl0917s1",
    underlayIp: "198.18.0.2",
    tunnelIp: "10.0.0.2",
  });
  assert.equal(slots[299]!.tunnelIp, "10.0.1.45");
  assert.equal(slots[299]!.underlayIp, "198.18.1.45");
  // Linux allows interface names of at most 15 characters.
  const longest = fleetSlots(4242, newLabId(), MAX_FLEET_CLIENTS, 16).at(-1)!;
  assert.ok(longest.veth.length <= 15 && longest.bridgePort.length <= 15, longest.veth);
  for (const slot of slots) {
    assert.ok(slot.ns.startsWith("fl-") && slot.veth.startsWith("fl"), slot.ns);
  }
});

Deno.test("fleetSlots() refuses counts it cannot name or address, saying what to do", () => {
  for (const count of [0, -1, 1.5, MAX_FLEET_CLIENTS + 1]) {
    assert.throws(() => fleetSlots(1, "0000", count, 16), /1 to 1000 clients, not .*ask for fewer/);
  }
  // A /24 holds the server and 253 clients; the 254th would be the broadcast address.
  assert.equal(clientTunnelIp(253, 24), "10.0.0.254");
  assert.throws(() => clientTunnelIp(254, 24), /client 254 does not fit the \/24 network/);
  assert.equal(clientTunnelIp(254, 16), "10.0.0.255");
  assert.equal(defaultTunnelPrefix(253), 24);
  assert.equal(defaultTunnelPrefix(254), 16);
  assert.throws(() => fleetSlots(1, "0000", 300, 24), /does not fit/);
  assert.throws(() => clientUnderlayIp(0), /client 0 does not fit/);
});

Deno.test("the ip batches make every namespace and veth end inside a namespace, never the host's", () => {
  const slots = fleetSlots(7, "1234", 2, 24);
  const create = createNamespacesBatch(serverNamespace(7, "1234"), slots).trim().split("\n");
  assert.deepEqual(create, [
    "netns add fl-7-1234-srv",
    "netns add fl-7-1234-c1",
    "link add fl1234s1 netns fl-7-1234-srv type veth peer name fl1234c1 netns fl-7-1234-c1",
    "netns add fl-7-1234-c2",
    "link add fl1234s2 netns fl-7-1234-srv type veth peer name fl1234c2 netns fl-7-1234-c2",
  ]);
  const server = serverBatch(slots);
  assert.match(server, new RegExp(`^link add ${FLEET_BRIDGE} type bridge$`, "m"));
  assert.match(server, /^addr add 198\.18\.0\.1\/16 dev flbr0$/m);
  assert.match(server, /^link set fl1234s2 master flbr0$/m);
  assert.match(clientBatch(slots[1]!), /^addr add 198\.18\.0\.3\/16 dev fl1234c2$/m);
  assert.equal(deleteNamespacesBatch(["a", "b"]), "netns del a\nnetns del b\n");
});

Deno.test("orphanPid() reads the creator of fleet namespaces only", () => {
  assert.equal(orphanPid("fl-4242-0917-srv"), 4242);
  assert.equal(orphanPid("fl-4242-0917-c17"), 4242);
  for (const other of ["sss-e2e1234-srv", "fl-x-0917-srv", "fl-4242-0917-cli", "xfl-1-2-srv"]) {
    assert.equal(orphanPid(other), undefined, other);
  }
});

Deno.test("newLabId() draws the given number of decimal digits", () => {
  assert.equal(newLabId(() => 0.999, 4), "9999");
  assert.equal(newLabId(() => 0, 3), "000");
  assert.match(newLabId(), /^\d{4}$/);
});

Deno.test("the fleet's server and client files pass the product's own parser", () => {
  const server = parseConfig(
    fleetServerYaml({
      certDir: "/certs",
      logFile: "/logs/server.log",
      tunnelPrefix: 16,
      monitoring: true,
      level: "warning",
      network: { keepalive_interval: 2 },
      security: { max_pending_per_source: 1024 },
    }),
    "/lab/server.yaml",
  );
  assert.equal(server.mode, "server");
  assert.deepEqual(server.address, ipv4Prefix("10.0.0.1/16"));
  assert.equal(server.monitoring.enabled, true);
  assert.equal(server.network.keepaliveInterval, 2);
  assert.equal(server.security.maxPendingPerSource, 1024);
  assert.equal(server.security.tls.certFile, "/certs/server.crt");
  assert.equal(server.logging.level, "warning");

  const client = parseConfig(
    fleetClientYaml({
      certDir: "/certs",
      name: "c7",
      tunnelIp: "10.0.0.8",
      tunnelPrefix: 24,
      logFile: "/logs/c7.log",
    }),
    "/lab/c7.yaml",
  );
  assert.equal(client.mode, "client");
  assert.deepEqual(client.address, ipv4Prefix("10.0.0.8/24"));
  assert.equal(client.security.tls.keyFile, "/certs/c7.key");
  assert.equal(client.monitoring.enabled, false);
});

Deno.test("eachLimited() runs every item, never more than the limit at once, and fails with the first error", async () => {
  let running = 0;
  let most = 0;
  const done: number[] = [];
  await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, n % 3));
    done.push(n);
    running--;
  });
  assert.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(most, 3);
  await assert.rejects(
    eachLimited([1, 2], 2, (n) => n === 2 ? Promise.reject(new Error("two")) : Promise.resolve()),
    /two/,
  );
});
