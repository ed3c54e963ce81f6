/**
 * The door's bookkeeping (src/transport/pending.ts) with fake connections: who makes room for a
 * newcomer at each cap, the per-network keys, the deadline that shortens as the table fills, and
 * what our client makes of a cap refusal.
 */
import assert from "node:assert/strict";
import {
  DISPLACE_GRACE_MS,
  handshakeDeadlineMs,
  networkKey,
  type PendingCap,
  PendingConnections,
  type PendingSlot,
} from "../../src/transport/pending.ts";
import { describeTlsError, isCapRefusal } from "../../src/transport/tls_errors.ts";
import net from "node:net";
import { dialTls } from "../../src/transport/dialer.ts";
import { withMaterial } from "../lib/tls_material.ts";
import { DEFAULT_PENDING_LIMITS } from "../../src/transport/pending.ts";

/** A fake connection: its byte count is set by the test; evictions are recorded. */
function fake(name: string, log: string[]) {
  const state = { bytes: 0, hello: false };
  return {
    state,
    connection: {
      bytesReceived: () => state.bytes,
      helloComplete: () => state.hello,
      evict: (cap: PendingCap) => log.push(`${name} ${cap}`),
    },
  };
}

function take(door: PendingConnections, source: string, name: string, log: string[]) {
  const f = fake(name, log);
  const slot = door.acquire(source, f.connection);
  return { ...f, slot };
}

Deno.test("PendingConnections: a full table closes the oldest connection that sent nothing, then the oldest mid-handshake", () => {
  const log: string[] = [];
  const door = new PendingConnections({ maxPending: 3, maxPendingPerSource: 8 });
  const a = take(door, "192.0.2.1", "a", log);
  take(door, "198.51.100.1", "b", log);
  const c = take(door, "203.0.113.1", "c", log);
  a.state.bytes = 300; // a has sent its ClientHello; b and c nothing
  take(door, "203.0.113.9", "d", log);
  assert.deepEqual(log, ["b pending"]);
  c.state.bytes = 10;
  take(door, "203.0.113.10", "e", log);
  assert.deepEqual(log, ["b pending", "d pending"], "d (nothing sent) before the older a and c");
  assert.equal(door.count, 3);
  assert.equal(door.evicted, 2);
});

Deno.test("PendingConnections: a full table closes a partial ClientHello before a connection TLS already has", () => {
  const log: string[] = [];
  const door = new PendingConnections({ maxPending: 2, maxPendingPerSource: 8 });
  const a = take(door, "192.0.2.1", "a", log);
  const b = take(door, "198.51.100.1", "b", log);
  a.state.bytes = 300;
  a.state.hello = true; // a's whole ClientHello is in: TLS has it
  b.state.bytes = 9; // b sent half a ClientHello, later than a
  take(door, "203.0.113.9", "c", log);
  assert.deepEqual(log, ["b pending"], "the younger half-Hello goes before the older wrapped one");
});

Deno.test("PendingConnections: finished handshakes are never closed to make room; then the newcomer is refused", () => {
  const log: string[] = [];
  const door = new PendingConnections({ maxPending: 2 });
  const a = take(door, "192.0.2.1", "a", log);
  const b = take(door, "198.51.100.1", "b", log);
  (a.slot as PendingSlot).handshakeDone();
  (b.slot as PendingSlot).handshakeDone();
  const c = take(door, "203.0.113.1", "c", log);
  assert.equal(c.slot, "pending");
  assert.deepEqual(log, []);
  (a.slot as PendingSlot).release();
  (a.slot as PendingSlot).release(); // twice is harmless
  assert.equal(door.count, 1);
  assert.notEqual(typeof take(door, "203.0.113.1", "d", log).slot, "string");
});

Deno.test("PendingConnections: a NAT neighbour's idle connections make room for a client behind the same address once 1 s old; its reconnects never reach the client", () => {
  const log: string[] = [];
  let now = 0;
  const door = new PendingConnections({ maxPendingPerSource: 8 }, () => now);
  for (let i = 0; i < 8; i++) take(door, "192.0.2.7", `idle${i}`, log);
  now = DISPLACE_GRACE_MS - 1;
  assert.equal(take(door, "192.0.2.7", "early", log).slot, "per source", "young idle ones stay");
  now = DISPLACE_GRACE_MS;
  const client = take(door, "192.0.2.7", "client", log);
  assert.equal(typeof client.slot, "object");
  assert.deepEqual(log, ["idle0 per source"], "the oldest idle one gave way");
  // The neighbour reconnects at once whenever one of its connections is closed, before the
  // client's ClientHello has arrived: each reconnect may close an old idle one, never the client.
  for (let i = 8; i < 40; i++) take(door, "192.0.2.7", `idle${i}`, log);
  assert.ok(!log.includes("client per source"), "the young client keeps its place");
  assert.equal(log.length, 8, "the seven other old ones gave way, then the young ones stay");
  assert.equal(door.count, 8);
});

Deno.test("PendingConnections: at a network's cap, a newcomer displaces that network's least advanced connection at least 1 s old: idle, then half a Hello, oldest first", () => {
  const log: string[] = [];
  let now = 0;
  const door = new PendingConnections(
    { maxPendingPerSource: 8, maxPendingPerNetwork4: 3 },
    () => now,
  );
  const a = take(door, "198.51.100.1", "a", log);
  const b = take(door, "198.51.100.2", "b", log);
  take(door, "198.51.100.3", "c", log);
  take(door, "203.0.113.1", "other", log); // another network: never touched
  a.state.bytes = 9; // half a ClientHello
  b.state.bytes = 300;
  b.state.hello = true; // TLS has b's whole ClientHello
  now = DISPLACE_GRACE_MS;
  const d = take(door, "198.51.100.9", "d", log);
  assert.equal(typeof d.slot, "object");
  assert.deepEqual(log, ["c per network"], "the idle one before the older half-Hello");
  d.state.bytes = 9;
  const e = take(door, "198.51.100.10", "e", log);
  assert.equal(typeof e.slot, "object");
  assert.deepEqual(log, ["c per network", "a per network"], "then the oldest half-Hello");
  assert.equal(take(door, "198.51.100.11", "f", log).slot, "per network", "d and e are young");
  assert.equal(door.count, 4);
});

Deno.test("PendingConnections: at an address's or network's cap held by handshakes under way, nothing is displaced: the newcomer is turned away", () => {
  const log: string[] = [];
  const door = new PendingConnections({ maxPendingPerSource: 2, maxPendingPerNetwork4: 3 });
  const a = take(door, "192.0.2.1", "a", log);
  const b = take(door, "192.0.2.1", "b", log);
  a.state.hello = b.state.hello = true; // whole ClientHellos: TLS has them
  assert.equal(take(door, "192.0.2.1", "c", log).slot, "per source");
  const d = take(door, "192.0.2.2", "d", log);
  (d.slot as PendingSlot).handshakeDone();
  assert.equal(take(door, "192.0.2.3", "e", log).slot, "per network");
  assert.deepEqual(log, []);
  assert.equal(door.count, 3);
});

Deno.test("PendingConnections: an IPv6 /64 and an IPv4 /24 are capped as one source network", () => {
  const log: string[] = [];
  const door = new PendingConnections({ maxPendingPerNetwork6: 4, maxPendingPerNetwork4: 3 });
  const v6 = [1, 2, 3, 4].map((i) => take(door, `2001:db8:0:1::${i}`, `v6-${i}`, log));
  for (const f of v6) f.state.hello = true;
  assert.equal(take(door, "2001:db8:0:1::ff", "v6-5", log).slot, "per network");
  assert.equal(typeof take(door, "2001:db8:0:2::1", "other64", log).slot, "object");
  for (let i = 1; i <= 3; i++) take(door, `198.51.100.${i}`, `v4-${i}`, log).state.hello = true;
  assert.equal(take(door, "::ffff:198.51.100.77", "mapped", log).slot, "per network");
  assert.deepEqual(log, [], "connections TLS has are not displaced at a network's cap");
  assert.equal(door.count, 4 + 1 + 3);
});

Deno.test("networkKey() masks to the configured prefixes and maps IPv4-mapped IPv6", () => {
  const limits = { ...DEFAULT_PENDING_LIMITS, network4Prefix: 16 };
  assert.equal(networkKey("198.51.7.9", limits), networkKey("198.51.200.1", limits));
  assert.notEqual(networkKey("198.52.7.9", limits), networkKey("198.51.7.9", limits));
  assert.equal(networkKey("::ffff:198.51.7.9", limits), networkKey("198.51.1.1", limits));
  assert.equal(
    networkKey("2001:db8::1", DEFAULT_PENDING_LIMITS),
    networkKey("2001:db8::ffff:1:2:3", DEFAULT_PENDING_LIMITS),
  );
  assert.equal(networkKey("unknown", limits), "unknown");
});

Deno.test("handshakeDeadlineMs() keeps the full deadline up to half full, then shortens to a floor", () => {
  assert.equal(handshakeDeadlineMs(10_000, 0, 512), 10_000);
  assert.equal(handshakeDeadlineMs(10_000, 256, 512), 10_000);
  assert.equal(handshakeDeadlineMs(10_000, 384, 512), 5000);
  assert.equal(handshakeDeadlineMs(10_000, 511, 512), 2000);
  assert.equal(handshakeDeadlineMs(10_000, 512, 512), 2000);
  assert.equal(handshakeDeadlineMs(1000, 512, 512), 1000, "never above the configured one");
});

Deno.test("describeTlsError() tells a cap refusal from a refused certificate", () => {
  const capped = describeTlsError(
    Object.assign(new Error("received fatal alert: InternalError"), {
      code: "ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR",
    }),
  );
  assert.match(capped, /turned us away at a connection cap/);
  assert.doesNotMatch(capped, /certificate/);
  assert.ok(isCapRefusal(`cannot connect to 192.0.2.1:443: ${capped}`));
  assert.ok(!isCapRefusal(describeTlsError(new Error("socket hang up"))));
});

Deno.test("dialTls() says a connection dropped before the handshake was closed by the server's door, not that our certificate was refused", async () => {
  await withMaterial(async (_server, client) => {
    // What the door does to a connection it displaces: reads its ClientHello, then closes it.
    const door = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => door.listen(0, "127.0.0.1", resolve));
    try {
      const port = (door.address() as net.AddressInfo).port;
      const error = await dialTls({ host: "127.0.0.1", port }, client).then(
        () => undefined,
        (e: Error) => e.message,
      );
      assert.ok(error, "the dial fails");
      assert.match(error, /closed the connection before the TLS handshake finished/);
      assert.doesNotMatch(error, /refused our certificate/);
    } finally {
      await new Promise((resolve) => door.close(resolve));
    }
  });
});
