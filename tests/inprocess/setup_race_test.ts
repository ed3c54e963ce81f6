/**
 * Races at session setup, in one process (tests/lib/in_process.ts): a peer that goes away at every
 * step of the Hello exchange, and twin certificates (two hosts, one name) replacing each other
 * while data flows. Nothing may outlive the connection that made it: pending places, sessions,
 * address leases, routes; the client in session never notices. The TLS steps (before the
 * ClientHello, during the handshake) are tests/e2e/setup_race_test.ts.
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import { encodeHello, encodePing, PROTOCOL_VERSION } from "../../src/frame/control.ts";
import type { SecureStream } from "../../src/transport/secure_stream.ts";
import {
  clientConfig,
  connected,
  deliver,
  identity,
  InProcessLab,
  packet,
  serverConfig,
} from "../lib/in_process.ts";
import { pollUntil } from "../lib/poll.ts";

const ENDPOINT = { host: "198.18.0.1", port: 443 };
const LIMITS = { timeoutMs: 1000, signal: new AbortController().signal };
const ROUNDS = 25;

function hello(address: string): Uint8Array {
  return encodeHello({
    protocol: PROTOCOL_VERSION,
    software: "racer",
    address,
    mtu: 1500,
    features: [],
  });
}

/** Resolves once the server has sent something (its Hello) or the stream closed. */
function answer(stream: SecureStream): Promise<void> {
  return new Promise((resolve) => {
    stream.onData(() => resolve());
    stream.closed.then(() => resolve());
  });
}

const REGISTRY = `clients:
  - name: racer
    address: 10.0.0.9
    routes: [192.168.9.0/24]
  - name: client
  - name: twin
unlisted: refuse`;

Deno.test("a peer going away at every step of the Hello exchange leaves no place, session, lease or route behind", async () => {
  await using lab = new InProcessLab();
  const { server, device: srv } = await lab.startServer(serverConfig(REGISTRY));
  const client = lab.startClient(clientConfig("10.0.0.2/24"), "client");
  await connected(client);
  const routesBefore = [...srv.routes].sort();
  const racer = lab.net.clientTransport(identity("racer"));
  const steps = {
    beforeHello: (s: SecureStream) => Promise.resolve(s.destroy()),
    halfHello: async (s: SecureStream) => {
      const bytes = hello("10.0.0.9/24");
      await s.write(bytes.subarray(0, bytes.length >> 1));
      s.destroy();
    },
    afterServerHello: async (s: SecureStream) => {
      const answered = answer(s);
      await s.write(hello("10.0.0.9/24"));
      await answered;
      s.destroy();
    },
    afterData: async (s: SecureStream) => {
      const answered = answer(s);
      await s.write(hello("10.0.0.9/24"));
      await answered;
      await s.write(encodeFrame(FrameType.Packet, packet("10.0.0.9", "10.0.0.1", 9)));
      await s.write(encodePing(FrameType.Ping, 1n));
      s.destroy();
    },
    closeWithoutWaiting: (s: SecureStream) => {
      void s.write(hello("10.0.0.9/24"));
      s.destroy();
      return Promise.resolve();
    },
  };
  let tag = 10;
  for (let round = 0; round < ROUNDS; round++) {
    for (const step of Object.values(steps)) {
      const stream = await racer.dial(ENDPOINT, LIMITS);
      await step(stream);
      // The client in session keeps passing traffic between the steps.
      await deliver(client.device, srv, "10.0.0.2", "10.0.0.1", tag++ % 250);
    }
  }
  await pollUntil(
    () => lab.net.pendingSlots === 0 && server.sessions().length === 1,
    "every racer's place and session gone",
    { intervalMs: 5 },
  );
  assert.deepEqual([...srv.routes].sort(), routesBefore, "192.168.9.0/24 went with the racer");
  // Its pinned address is free again: a well-behaved racer gets in at once.
  const honest = lab.startClient(
    clientConfig("10.0.0.9/24", "routes: []"),
    identity("racer"),
  );
  await connected(honest, "the racer, behaving");
  await deliver(honest.device, srv, "10.0.0.9", "10.0.0.1", 251);
  assert.ok([...srv.routes].some((r) => r.startsWith("192.168.9.0/24")), "its route is back");
});

Deno.test("twin certificates replacing each other while data flows leave one session, and the other client unaffected", async () => {
  await using lab = new InProcessLab();
  const { server, device: srv } = await lab.startServer(serverConfig(REGISTRY));
  const client = lab.startClient(clientConfig("10.0.0.2/24"), "client");
  await connected(client);
  const twinA = lab.net.clientTransport(identity("twin"));
  const twinB = lab.net.clientTransport(identity("twin"));
  let tag = 1;
  for (let round = 0; round < ROUNDS; round++) {
    const transport = round % 2 === 0 ? twinA : twinB;
    const stream = await transport.dial(ENDPOINT, LIMITS);
    stream.onData(() => {});
    await stream.write(hello("10.0.0.7/24"));
    // Data from the twin and from the other client, interleaved.
    await stream.write(encodeFrame(FrameType.Packet, packet("10.0.0.7", "10.0.0.1", 200)));
    await deliver(client.device, srv, "10.0.0.2", "10.0.0.1", tag++);
  }
  await pollUntil(
    () => server.sessions().filter((s) => s.connection.peerName === "twin").length <= 1,
    "at most one twin session",
    { intervalMs: 5 },
  );
  await pollUntil(() => lab.net.pendingSlots === 0, "no pending place held", { intervalMs: 5 });
  assert.ok(server.sessions().length <= 2, `${server.sessions().length} sessions`);
});
