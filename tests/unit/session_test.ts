import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import { CloseCode, encodePing, type Hello, PROTOCOL_VERSION } from "../../src/frame/control.ts";
import { Session, type SessionOptions, SessionRefusal } from "../../src/session/session.ts";
import { memoryStreamPair } from "../lib/memory_stream.ts";
import { pollUntil } from "../lib/poll.ts";
import { ipv4Packet, RecordingWriter } from "../lib/recording_writer.ts";
import { hostPrefix } from "../../src/ip/prefix.ts";
import { ipv4FromWord } from "../../src/ip/ipv4_word.ts";
import { ANY_SOURCE, compilePacketFilter } from "../../src/ip/packet_filter.ts";

const logger = getLogger(["sssonector-test"]);
const CLIENT_IP = 0x0a000002;
const SERVER_IP = 0x0a000001;

function hello(address: string, protocol = PROTOCOL_VERSION): Hello {
  return { protocol, software: "test", address, mtu: 1500, features: [] };
}

function pair(
  overrides: { server?: Partial<SessionOptions>; client?: Partial<SessionOptions> } = {},
) {
  const [clientStream, serverStream] = memoryStreamPair();
  const serverWriter = new RecordingWriter();
  const clientWriter = new RecordingWriter();
  const server = new Session({
    role: "server",
    stream: serverStream,
    hello: hello("10.0.0.1/24"),
    logger,
    admit: () => ({
      filter: compilePacketFilter({ sources: [hostPrefix(ipv4FromWord(CLIENT_IP))] }),
      writer: serverWriter,
    }),
    ...overrides.server,
  });
  const client = new Session({
    role: "client",
    stream: clientStream,
    hello: hello("10.0.0.2/24"),
    logger,
    admit: () => ({ filter: ANY_SOURCE, writer: clientWriter }),
    ...overrides.client,
  });
  return { server, client, serverWriter, clientWriter, clientStream, serverStream };
}

/** A server session whose peer is a bare stream the test writes to by hand. */
function loneServer(overrides: Partial<SessionOptions> = {}) {
  const [clientStream, serverStream] = memoryStreamPair();
  const server = new Session({
    role: "server",
    stream: serverStream,
    hello: hello("10.0.0.1/24"),
    logger,
    admit: () => ({ filter: ANY_SOURCE, writer: new RecordingWriter() }),
    ...overrides,
  });
  return { clientStream, server };
}

async function closeBoth(...sessions: Session[]) {
  for (const s of sessions) s.close(CloseCode.Shutdown, "test over");
  await Promise.all(sessions.map((s) => s.ended));
}

Deno.test("Session opens both sides after the hello exchange and carries packets both ways", async () => {
  const { server, client, serverWriter, clientWriter } = pair();
  const [serverSees, clientSees] = await Promise.all([server.opened, client.opened]);
  assert.equal(serverSees.address.text, "10.0.0.2/24");
  assert.equal(clientSees.address.text, "10.0.0.1/24");
  const up = ipv4Packet(CLIENT_IP, SERVER_IP, new Uint8Array([1, 2, 3]));
  const down = ipv4Packet(SERVER_IP, CLIENT_IP, new Uint8Array([4, 5]));
  await client.send(encodeFrame(FrameType.Packet, up));
  await server.send(encodeFrame(FrameType.Packet, down));
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(serverWriter.packets, [up]);
  assert.deepEqual(clientWriter.packets, [down]);
  await closeBoth(client, server);
});

Deno.test("Session on the server drops packets whose source is not the client's address", async () => {
  const { server, client, serverWriter } = pair();
  await Promise.all([server.opened, client.opened]);
  await client.send(
    encodeFrame(FrameType.Packet, ipv4Packet(0x0a000099, SERVER_IP, new Uint8Array(1))),
  );
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(serverWriter.packets.length, 0);
  assert.equal(server.counters.drops.spoofed, 1);
  assert.equal(server.state, "open", "a spoofed packet is dropped, the session lives on");
  await closeBoth(client, server);
});

Deno.test("Session passes onSpoofed through and counts refused destinations and link-local drops", async () => {
  const told: Uint8Array[] = [];
  const { server, client } = pair({
    server: {
      onSpoofed: (source) => told.push(source),
      admit: () => ({
        filter: compilePacketFilter({
          sources: [hostPrefix(ipv4FromWord(CLIENT_IP))],
          denyDestinations: [hostPrefix(ipv4FromWord(0x0a000003))],
        }),
        writer: new RecordingWriter(),
      }),
    },
  });
  await Promise.all([server.opened, client.opened]);
  const linkLocal = new Uint8Array(40);
  linkLocal[0] = 0x60;
  linkLocal.set([0xfe, 0x80], 8);
  client.send(encodeFrame(FrameType.Packet, ipv4Packet(0x0a000099, SERVER_IP, new Uint8Array(1))));
  client.send(encodeFrame(FrameType.Packet, ipv4Packet(CLIENT_IP, 0x0a000003, new Uint8Array(1))));
  client.send(encodeFrame(FrameType.Packet, linkLocal));
  await pollUntil(() => server.counters.drops.linkLocal === 1, "the link-local packet arrived");
  assert.deepEqual(told, [ipv4FromWord(0x0a000099)]);
  const { drops } = server.counters;
  assert.deepEqual([drops.spoofed, drops.destination, drops.linkLocal], [1, 1, 1]);
  await closeBoth(client, server);
});

Deno.test("Session refused by admit tells the client why", async () => {
  const { server, client } = pair({
    server: {
      admit: () => {
        throw new SessionRefusal(
          CloseCode.AddressInUse,
          "address 10.0.0.2 is in use by client web1",
        );
      },
    },
  });
  const [clientEnd, serverEnd] = await Promise.all([client.ended, server.ended]);
  assert.equal(clientEnd.byPeer, true);
  assert.equal(clientEnd.code, CloseCode.AddressInUse);
  assert.match(clientEnd.message, /in use by client web1/);
  assert.equal(serverEnd.byPeer, false);
  await assert.rejects(client.opened);
});

Deno.test("Session closes with a protocol error when data arrives before the hello", async () => {
  const { clientStream, server } = loneServer();
  await clientStream.write(encodeFrame(FrameType.Packet, new Uint8Array(40)));
  const end = await server.ended;
  assert.equal(end.code, CloseCode.ProtocolError);
  assert.match(end.message, /before the hello/);
});

Deno.test("Session closes with a protocol error on garbage from the peer", async () => {
  const { clientStream, server } = loneServer();
  await clientStream.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
  const end = await server.ended;
  assert.equal(end.code, CloseCode.ProtocolError);
  assert.match(end.message, /unknown frame type 0x47/);
});

Deno.test("Session refuses a peer of another protocol version", async () => {
  const { server, client } = pair({ client: { hello: hello("10.0.0.2/24", 99) } });
  const end = await client.ended;
  assert.equal(end.code, CloseCode.VersionMismatch);
  assert.match(end.message, /protocol version 99/);
  await server.ended;
});

Deno.test("Session times out a peer that stops answering, and measures round trips while alive", async () => {
  const keepalive = { intervalMs: 20, timeoutMs: 150 };
  const { server, client, serverStream } = pair({ server: { keepalive }, client: { keepalive } });
  await Promise.all([server.opened, client.opened]);
  await pollUntil(() => client.counters.rttMs !== undefined, "a pong came back", {
    timeoutMs: 2000,
  });
  assert.ok(
    client.counters.rttMs !== undefined,
    `a pong came back: ${JSON.stringify(client.counters)} ${client.state}`,
  );
  serverStream.muted = true; // the server goes silent
  const end = await client.ended;
  assert.equal(end.code, CloseCode.PeerTimeout);
  assert.equal(end.byPeer, false);
  await server.ended;
});

Deno.test("Session closes when no hello arrives in time", async () => {
  const { server } = loneServer({ handshakeTimeoutMs: 30 });
  const end = await server.ended;
  assert.match(end.message, /no hello/);
});

Deno.test("Session closes a peer that floods control frames, as a protocol error", async () => {
  const { server, client, clientStream } = pair();
  await Promise.all([server.opened, client.opened]);
  const ping = encodePing(FrameType.Ping, 1n);
  const flood = new Uint8Array(ping.length * 1000);
  for (let i = 0; i < 1000; i++) flood.set(ping, i * ping.length);
  await clientStream.write(flood);
  const end = await server.ended;
  assert.equal(end.code, CloseCode.ProtocolError);
  assert.match(end.message, /more than 50 control frames a second/);
  assert.ok(server.counters.drops.control < 1000, "the flood was not answered in full");
  await client.ended;
});
