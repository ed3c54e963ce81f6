/**
 * Sparse lanes in one process (tests/lib/in_process.ts): the client's second connection joins its
 * session with the token of the server's Hello, sparse packets travel on it and bulk packets on
 * the main connection; a wrong token or another certificate is refused; when the lane goes, the
 * session goes on with everything on the main connection, and the client opens another lane on a
 * fresh token it asks the server for.
 */
import assert from "node:assert/strict";
import {
  clientConfig,
  connected,
  deliver,
  identity,
  InProcessLab,
  ip,
  serverConfig,
} from "../lib/in_process.ts";
import { pollUntil } from "../lib/poll.ts";
import { ipv4Packet } from "../lib/recording_writer.ts";
import type { FakeDevice } from "../lib/fake_device.ts";
import type { Identity } from "../lib/fake_network.ts";
import type { MemoryStream } from "../lib/memory_stream.ts";
import {
  CloseCode,
  decodeClose,
  decodeHello,
  decodeLaneToken,
  encodeHello,
  encodeLaneControl,
  Feature,
  type Hello,
  PROTOCOL_VERSION,
} from "../../src/frame/control.ts";
import { FrameType } from "../../src/frame/constants.ts";
import type { Session } from "../../src/session/session.ts";

const SERVER = { host: "198.18.0.1", port: 443 };

/** A UDP packet of 300 bytes: bulk, not sparse. */
function bulkPacket(source: string, destination: string, tag: number): Uint8Array {
  return ipv4Packet(ip(source), ip(destination), new Uint8Array(280).fill(tag));
}

function gotBulk(device: FakeDevice, tag: number): boolean {
  return device.received.some((p) => p.length === 300 && p[20] === tag);
}

/** A connection driven by hand: sends frames, collects the frames it receives. */
async function rawConnection(lab: InProcessLab, who: Identity) {
  const stream = await lab.net.clientTransport(who).dial(SERVER, {
    timeoutMs: 1000,
    signal: new AbortController().signal,
  }) as MemoryStream;
  const frames: Array<{ type: number; payload: Uint8Array }> = [];
  let pending = new Uint8Array(0);
  stream.onData((chunk) => {
    const all = new Uint8Array(pending.length + chunk.length);
    all.set(pending);
    all.set(chunk, pending.length);
    let at = 0;
    while (all.length - at >= 4) {
      const length = (all[at + 1]! << 16) | (all[at + 2]! << 8) | all[at + 3]!;
      if (all.length - at - 4 < length) break;
      frames.push({ type: all[at]!, payload: all.slice(at + 4, at + 4 + length) });
      at += 4 + length;
    }
    pending = all.slice(at);
  });
  const next = async (type: number) => {
    await pollUntil(() => frames.some((f) => f.type === type), `frame ${type}`, { intervalMs: 2 });
    return frames.find((f) => f.type === type)!.payload;
  };
  return { stream, next };
}

function hello(address: string, extra: Partial<Hello> = {}): Hello {
  return {
    protocol: PROTOCOL_VERSION,
    software: "test",
    address,
    mtu: 1500,
    features: [Feature.Lanes],
    ...extra,
  };
}

function serverSession(server: { sessions(): Session[] }): Session {
  const [session] = server.sessions();
  assert.ok(session, "the server has a session");
  return session;
}

/** A server and the client "alpha" whose session has its sparse lane attached at both ends. */
async function withLaneUp(lab: InProcessLab) {
  const { server, device: srv } = await lab.startServer(serverConfig());
  const a = lab.startClient(clientConfig("10.0.0.2/24"), "alpha");
  await connected(a);
  const session = a.client.session!;
  await pollUntil(() => session.lane !== undefined, "the client's lane is attached");
  const main = serverSession(server);
  await pollUntil(() => main.lane !== undefined, "the server's lane is attached");
  return { server, srv, a, session, main };
}

Deno.test("a client's second connection joins its session as the sparse lane: sparse packets go on it, bulk on the main one", async () => {
  await using lab = new InProcessLab();
  const { server, srv, a, main } = await withLaneUp(lab);
  assert.equal(server.sessions().length, 1, "the lane is no session of its own");
  assert.equal(lab.net.connections("198.18.0.1:443"), 2);
  assert.equal(lab.net.pendingSlots, 0, "the lane holds no pending place once open");

  const lane = main.lane!;
  await deliver(a.device, srv, "10.0.0.2", "10.0.0.1", 1); // 24 bytes: sparse
  assert.equal(lane.counters.packetsIn, 1, "the sparse packet came over the lane");
  a.device.send(bulkPacket("10.0.0.2", "10.0.0.1", 2));
  await pollUntil(() => gotBulk(srv, 2), "the bulk packet arrives");
  assert.equal(lane.counters.packetsIn, 1, "the bulk packet came over the main connection");
  assert.equal(main.counters.packetsIn, 2, "the session counts both");
  // And back: the server's sparse packets take its side of the lane.
  const clientLane = a.client.session!.lane!;
  await deliver(srv, a.device, "10.0.0.1", "10.0.0.2", 3);
  assert.equal(clientLane.counters.packetsIn, 1);
  // Each side's reports show its lane up and the one sparse packet it sent on it.
  for (const view of [a.client.session!.view(), main.view()]) {
    assert.equal(view.lane?.up, true);
    assert.equal(view.lane?.opened, 1);
    assert.equal(view.lane?.packetsOut, 1);
    assert.equal(view.lane?.bytesOut, 4 + 24, "one frame: its header and the packet");
    assert.equal(view.lane?.fallbacks, 0);
  }
});

Deno.test("a lane with an unknown token, or the token of another certificate, is refused and the session stays", async () => {
  await using lab = new InProcessLab();
  const { server } = await lab.startServer(serverConfig());
  const alpha = identity("alpha");
  const main = await rawConnection(lab, alpha);
  main.stream.write(encodeHello(hello("10.0.0.2/24")));
  const answer = decodeHello(await main.next(FrameType.Hello));
  assert.match(answer.lane ?? "", /^[0-9a-f]{32}$/, "the answer carries a lane token");

  const guess = await rawConnection(lab, alpha);
  guess.stream.write(encodeHello(hello("10.0.0.2/24", { lane: "0".repeat(32) })));
  const unknown = decodeClose(await guess.next(FrameType.Close));
  assert.equal(unknown.code, CloseCode.LaneRefused);
  assert.match(unknown.message, /unknown or already used/);

  // The same name with another certificate: refused, and the token is spent.
  const twin = await rawConnection(lab, { ...alpha, fingerprint: "fp-stolen" });
  twin.stream.write(encodeHello(hello("10.0.0.2/24", { lane: answer.lane! })));
  assert.match(decodeClose(await twin.next(FrameType.Close)).message, /another certificate/);
  const late = await rawConnection(lab, alpha);
  late.stream.write(encodeHello(hello("10.0.0.2/24", { lane: answer.lane! })));
  assert.match(decodeClose(await late.next(FrameType.Close)).message, /already used/);

  const session = serverSession(server);
  assert.equal(session.state, "open", "refused lanes leave the session alone");
  assert.equal(session.lane, undefined);
  assert.equal(server.sessions().length, 1);
});

Deno.test("a server answers a client that does not offer lanes without a token", async () => {
  await using lab = new InProcessLab();
  await lab.startServer(serverConfig());
  const main = await rawConnection(lab, identity("alpha"));
  main.stream.write(encodeHello(hello("10.0.0.2/24", { features: [] })));
  assert.equal(decodeHello(await main.next(FrameType.Hello)).lane, undefined);
});

Deno.test("when the lane goes, sparse packets return to the main connection and the session goes on", async () => {
  await using lab = new InProcessLab();
  const { srv, a, session, main } = await withLaneUp(lab);
  main.lane!.close(CloseCode.Shutdown, "test closes the lane");
  await pollUntil(() => session.lane === undefined && main.lane === undefined, "lane gone");
  const sent = [session.view().lane!.packetsOut, main.view().lane!.packetsOut];
  await deliver(a.device, srv, "10.0.0.2", "10.0.0.1", 1);
  await deliver(srv, a.device, "10.0.0.1", "10.0.0.2", 2);
  assert.equal(a.client.session, session, "the same session carries on");
  assert.equal(session.state, "open");
  assert.deepEqual(
    [session.view().lane!.packetsOut, main.view().lane!.packetsOut],
    sent,
    "both packets crossed on the main connection",
  );
});

Deno.test("after the lane's connection is killed, the client opens a new lane on a fresh token and sparse packets take it", async () => {
  await using lab = new InProcessLab();
  const { server, srv, a, session, main } = await withLaneUp(lab);
  const first = main.lane as Session;
  lab.net.reset("198.18.0.1:443", first.connection.remote);
  await pollUntil(
    () => main.lane !== undefined && main.lane !== first && session.lane !== undefined,
    "a new lane is attached on both sides",
    { timeoutMs: 5000 },
  );
  assert.equal(lab.net.connections("198.18.0.1:443"), 2, "the main connection and the new lane");
  assert.equal(server.sessions().length, 1);
  assert.equal(a.client.session, session, "the same session, no reconnect");
  const second = main.lane as Session;
  await deliver(a.device, srv, "10.0.0.2", "10.0.0.1", 1);
  assert.equal(second.counters.packetsIn, 1, "the sparse packet came over the new lane");
  assert.equal(session.view().lane?.opened, 2);
  assert.equal(main.view().lane?.opened, 2);
});

Deno.test("a LaneRequest is answered with a fresh token only when both Hellos list lane-renew", async () => {
  await using lab = new InProcessLab();
  await lab.startServer(serverConfig());
  const renewing = await rawConnection(lab, identity("alpha"));
  renewing.stream.write(
    encodeHello(hello("10.0.0.2/24", { features: [Feature.Lanes, Feature.LaneRenew] })),
  );
  const first = decodeHello(await renewing.next(FrameType.Hello)).lane;
  renewing.stream.write(encodeLaneControl());
  const fresh = decodeLaneToken(await renewing.next(FrameType.LaneToken));
  assert.match(fresh, /^[0-9a-f]{32}$/);
  assert.notEqual(fresh, first);

  const old = await rawConnection(lab, identity("beta"));
  old.stream.write(encodeHello(hello("10.0.0.3/24")));
  await old.next(FrameType.Hello);
  old.stream.write(encodeLaneControl());
  const closed = decodeClose(await old.next(FrameType.Close));
  assert.equal(closed.code, CloseCode.ProtocolError);
  assert.match(closed.message, /lane-renew/);
});

Deno.test("the lane ends with its session", async () => {
  await using lab = new InProcessLab();
  const { session, main } = await withLaneUp(lab);
  const lane = session.lane!;
  main.close(CloseCode.Shutdown, "test ends the session");
  await lane.ended;
  assert.equal(lane.state, "closed");
});
