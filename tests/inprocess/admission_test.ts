/**
 * Who gets in, in one process (tests/lib/in_process.ts): the registry's names and pinned
 * addresses, max_clients, and revocation, each told to the client it refuses.
 */
import assert from "node:assert/strict";
import {
  clientConfig,
  connected,
  deliver,
  identity,
  InProcessLab,
  refusedWith,
  serverConfig,
} from "../lib/in_process.ts";
import { pollUntil } from "../lib/poll.ts";

const REGISTRY = `clients:
  - name: pinned
    address: 10.0.0.5
  - name: banned
    allow: false
unlisted: refuse`;

Deno.test("the registry admits a listed name at its pinned address and tells the others why not", async () => {
  await using lab = new InProcessLab();
  const { device: srv } = await lab.startServer(serverConfig(REGISTRY));
  const pinned = lab.startClient(clientConfig("10.0.0.5/24"), "pinned");
  await connected(pinned);
  await deliver(pinned.device, srv, "10.0.0.5", "10.0.0.1", 1);
  const elsewhere = lab.startClient(clientConfig("10.0.0.6/24"), identity("pinned"));
  await refusedWith(elsewhere, /gives it 10\.0\.0\.5; set its address to 10\.0\.0\.5\/24/);
  const banned = lab.startClient(clientConfig("10.0.0.7/24"), "banned");
  await refusedWith(banned, /refused by the server's clients list \(allow: false\)/);
  const stranger = lab.startClient(clientConfig("10.0.0.8/24"), "stranger");
  await refusedWith(stranger, /not in the server's clients list; add it there/);
  const squatter = lab.startClient(
    clientConfig("10.0.0.5/24"),
    "squatter",
  );
  await refusedWith(squatter, /not in the server's clients list/);
  // The refusals cost the pinned client nothing.
  assert.equal(pinned.client.session?.state, "open");
  await deliver(pinned.device, srv, "10.0.0.5", "10.0.0.1", 2);
});

Deno.test("max_clients refuses the next client with the reason, and lets one in once a place is free", async () => {
  await using lab = new InProcessLab();
  await lab.startServer(serverConfig("max_clients: 2"));
  const a = lab.startClient(clientConfig("10.0.0.2/24"), "a");
  const b = lab.startClient(clientConfig("10.0.0.3/24"), "b");
  await Promise.all([connected(a), connected(b)]);
  const c = lab.startClient(clientConfig("10.0.0.4/24"), "c");
  await refusedWith(c, /max_clients \(2\); try again later/);
  await a.client.stop();
  await connected(c, "the third client got the free place");
  assert.equal(b.client.session?.state, "open");
});

Deno.test("a CRL reload ends the revoked client's session, and its reconnects are refused", async () => {
  await using lab = new InProcessLab();
  const { revocations, device: srv } = await lab.startServer(serverConfig());
  const a = lab.startClient(clientConfig("10.0.0.2/24"), "alpha");
  const b = lab.startClient(clientConfig("10.0.0.3/24"), "beta");
  await Promise.all([connected(a), connected(b)]);
  const before = b.client.session;
  revocations.revoke(a.identity.serial);
  await refusedWith(a, /certificate refused: it is revoked/);
  await pollUntil(() => (lab.net.dials.get("198.18.0.1:443")?.length ?? 0) >= 4, "it retried");
  assert.notEqual(a.client.session?.state, "open");
  assert.equal(b.client.session, before, "the other session is untouched");
  await deliver(b.device, srv, "10.0.0.3", "10.0.0.1", 1);
});

Deno.test("a revoked client's address is free at once for the replacement certificate", async () => {
  await using lab = new InProcessLab();
  const { revocations, device: srv } = await lab.startServer(serverConfig());
  const old = lab.startClient(clientConfig("10.0.0.9/24"), "laptop");
  await connected(old);
  revocations.revoke(old.identity.serial);
  await refusedWith(old, /it is revoked/);
  await old.client.stop();
  // The host's new certificate (another name) claims the same address at once.
  const replacement = lab.startClient(clientConfig("10.0.0.9/24"), "laptop-2026");
  await connected(replacement, "the replacement is admitted at the revoked one's address");
  await deliver(replacement.device, srv, "10.0.0.9", "10.0.0.1", 1);
});

Deno.test("a certificate revoked after its client left frees the address it kept reserved", async () => {
  await using lab = new InProcessLab();
  const { revocations } = await lab.startServer(serverConfig());
  const old = lab.startClient(clientConfig("10.0.0.9/24"), "laptop");
  await connected(old);
  await old.client.stop();
  const early = lab.startClient(clientConfig("10.0.0.9/24"), "laptop-2026");
  await refusedWith(early, /reserved for client laptop/);
  revocations.revoke(old.identity.serial);
  await connected(early, "admitted once the old certificate is revoked");
});

Deno.test("a client our TLS layer did not accept is told why, counted, and holds no place", async () => {
  await using lab = new InProcessLab();
  const { server } = await lab.startServer(serverConfig());
  const stranger = lab.startClient(clientConfig("10.0.0.2/24"), {
    name: "mallory",
    serial: "FF",
    authorized: false,
  });
  await refusedWith(stranger, /certificate refused: the client presented no certificate/);
  assert.equal(server.counters.process.connections.refused["no certificate"]! >= 1, true);
  assert.equal(lab.net.pendingSlots, 0);
  assert.deepEqual(server.sessions(), []);
});
