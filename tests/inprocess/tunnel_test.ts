/**
 * A server and several clients in one unprivileged process (tests/lib/in_process.ts): packets
 * through the sessions both ways, routes on the devices, reconnects with backoff, failover across
 * servers. No TUN, no namespace, no root.
 */
import assert from "node:assert/strict";
import {
  clientConfig,
  connected,
  deliver,
  FAST,
  gotTag,
  InProcessLab,
  packet,
  serverConfig,
} from "../lib/in_process.ts";
import { pollUntil } from "../lib/poll.ts";

Deno.test("packets go client -> server -> client through the server's sessions", async () => {
  await using lab = new InProcessLab();
  const { device: srv } = await lab.startServer(serverConfig("client_to_client: true"));
  const a = lab.startClient(clientConfig("10.0.0.2/24"), "alpha");
  const b = lab.startClient(clientConfig("10.0.0.3/24"), "beta");
  await Promise.all([connected(a), connected(b)]);
  await pollUntil(() => lab.net.pendingSlots === 0, "open sessions hold no pending place");
  // alpha -> server: its own source, to the server's address.
  await deliver(a.device, srv, "10.0.0.2", "10.0.0.1", 1);
  // server -> beta: the server's kernel sends into the tunnel, the session owning .3 carries it.
  await deliver(srv, b.device, "10.0.0.1", "10.0.0.3", 2);
  // alpha -> beta: the server's kernel routes what alpha sent back into the tunnel.
  await deliver(a.device, srv, "10.0.0.2", "10.0.0.3", 3);
  const forwarded = srv.received.find((p) => p[20] === 3)!;
  await deliver(srv, b.device, "10.0.0.2", "10.0.0.3", 3);
  assert.deepEqual(b.device.received.find((p) => p[20] === 3), forwarded);
  assert.equal(gotTag(a.device, 2), false, "beta's packet reached only beta");
});

Deno.test("without client_to_client, a client's packet to another client never reaches the server's kernel", async () => {
  await using lab = new InProcessLab();
  const { device: srv } = await lab.startServer(serverConfig());
  const a = lab.startClient(clientConfig("10.0.0.2/24"), "alpha");
  await connected(a);
  await deliver(a.device, srv, "10.0.0.2", "10.0.0.1", 1);
  a.device.send(packet("10.0.0.2", "10.0.0.3", 9));
  // A spoofed source is dropped too; the packet after both proves they were processed.
  a.device.send(packet("10.0.0.77", "10.0.0.1", 8));
  await deliver(a.device, srv, "10.0.0.2", "10.0.0.1", 7);
  assert.equal(gotTag(srv, 9), false);
  assert.equal(gotTag(srv, 8), false);
});

Deno.test("a registered client's routes go onto the server's device while it is connected, and away after", async () => {
  await using lab = new InProcessLab();
  const { device: srv } = await lab.startServer(serverConfig(`clients:
  - name: branch
    address: 10.0.0.5
    routes: [192.168.10.0/24]
push_routes: [192.168.50.0/24]`));
  const branch = lab.startClient(clientConfig("10.0.0.5/24"), "branch");
  await connected(branch);
  await pollUntil(() => srv.routes.has("192.168.10.0/24"), "route to branch's LAN installed");
  await pollUntil(() => branch.device.routes.has("192.168.50.0/24"), "pushed route installed");
  // A host of branch's LAN is reachable from the server's side, through branch's session.
  await deliver(srv, branch.device, "10.0.0.1", "192.168.10.20", 4);
  await branch.client.stop();
  await pollUntil(() => !srv.routes.has("192.168.10.0/24"), "route removed once it left");
  assert.equal(branch.device.closed, true);
  assert.deepEqual([...srv.routes], []);
});

Deno.test("a dropped connection comes back after a backoff, and the pushed routes with it", async () => {
  await using lab = new InProcessLab();
  const { device: srv } = await lab.startServer(serverConfig("push_routes: [192.168.50.0/24]"));
  const a = lab.startClient(clientConfig("10.0.0.2/24"), "alpha");
  await connected(a);
  await pollUntil(() => a.device.routes.has("192.168.50.0/24"), "pushed route installed");
  const first = a.client.session;
  lab.net.refuse("198.18.0.1:443");
  // Dials before the drop (the session's and its sparse lane's) are not reconnects.
  const before = lab.net.dials.get("198.18.0.1:443")?.length ?? 0;
  lab.net.drop("198.18.0.1:443");
  await pollUntil(() => !a.device.routes.has("192.168.50.0/24"), "pushed route removed");
  // Refused: the client keeps trying, each wait longer than the last (up to the cap).
  const dials = () => (lab.net.dials.get("198.18.0.1:443")?.length ?? 0) - before;
  await pollUntil(() => dials() >= 5, "5 dials");
  const times = lab.net.dials.get("198.18.0.1:443")!.slice(before);
  const gaps = times.slice(2, 5).map((t, i) => t - times[i + 1]!);
  assert.ok(gaps[2]! >= gaps[0]!, `the backoff grows: ${gaps.map(Math.round).join(", ")} ms`);
  assert.ok(gaps[0]! >= FAST.backoff.initialMs * 0.9);
  assert.equal(a.client.readiness().ready, false);
  assert.match(a.client.readiness().reason, /connection refused/);
  lab.net.refuse("198.18.0.1:443", false);
  await connected(a, "reconnected");
  assert.notEqual(a.client.session, first);
  await deliver(a.device, srv, "10.0.0.2", "10.0.0.1", 5);
  await pollUntil(() => a.device.routes.has("192.168.50.0/24"), "pushed route back");
});

Deno.test("a client fails over to the next server when the first refuses, and back to the first once it ends", async () => {
  await using lab = new InProcessLab();
  const one = await lab.startServer(serverConfig("", "198.18.0.1:443"), "one");
  const two = await lab.startServer(serverConfig("", "198.18.0.2:443"), "two");
  lab.net.fail("198.18.0.1:443", "timed out after 200 ms");
  const a = lab.startClient(
    clientConfig("10.0.0.2/24", "", "[198.18.0.1:443, 198.18.0.2:443]"),
    "alpha",
  );
  await connected(a, "connected to the second server");
  assert.equal(a.client.session?.connection.peerName, "two");
  await deliver(a.device, two.device, "10.0.0.2", "10.0.0.1", 1);
  assert.equal(gotTag(one.device, 1), false);
  // The first server is back; the session with the second ends: the next round starts at one.
  lab.net.fail("198.18.0.1:443", undefined);
  lab.net.drop("198.18.0.2:443");
  await pollUntil(
    () => a.client.session?.state === "open" && a.client.session.connection.peerName === "one",
    "back on the first server",
    { intervalMs: 2 },
  );
  await deliver(a.device, one.device, "10.0.0.2", "10.0.0.1", 2);
});
