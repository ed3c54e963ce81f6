import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { type ListenerEvents, TlsListener } from "../../src/transport/listener.ts";
import { ALPN_PROTOCOL } from "../../src/transport/tls_options.ts";
import { DISPLACE_GRACE_MS } from "../../src/transport/pending.ts";
import { dialTls } from "../../src/transport/dialer.ts";
import { isCapRefusal } from "../../src/transport/tls_errors.ts";
import { pollUntil } from "../lib/poll.ts";
import { withMaterial } from "../lib/tls_material.ts";
import type { TlsMaterial } from "../../src/pki/material.ts";
import { HALF_CLIENT_HELLO } from "../../tools/lab/lab_client_tls.ts";

/** Listener events that record what happened at the door. */
function recorder() {
  const seen = {
    streams: 0,
    unauthorized: [] as string[],
    failures: [] as string[],
    capped: [] as string[],
    timeouts: [] as string[],
  };
  const events: ListenerEvents = {
    onStream: (stream, slot) => {
      seen.streams++;
      slot.release();
      stream.destroy();
    },
    onUnauthorized: (peer) => {
      seen.unauthorized.push(peer.remote);
      peer.refuse(new TextEncoder().encode("bye"));
    },
    onHandshakeFailure: (peer) => seen.failures.push(peer),
    onCapped: (peer, cap) => seen.capped.push(`${cap} ${peer}`),
    onHandshakeTimeout: (peer) => seen.timeouts.push(peer),
  };
  return { seen, events };
}

/** Resolves once the server has closed `conn` (a read ends or fails). */
async function closedByServer(conn: Deno.Conn): Promise<void> {
  try {
    while ((await conn.read(new Uint8Array(64))) !== null) { /* discard */ }
  } catch {
    // reset: closed too
  }
}

Deno.test("TlsListener makes room at the per-source cap by closing the oldest connection that has sent nothing for 1 s", async () => {
  await withMaterial(async (server) => {
    const { seen, events } = recorder();
    const listener = await TlsListener.listen({ host: "127.0.0.1", port: 0 }, server, events, {
      maxPendingPerSource: 2,
      handshakeTimeoutMs: 10_000,
    });
    const port = listener.endpoint.port;
    const conns: Deno.Conn[] = [];
    try {
      const idle = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(idle);
      const started = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(started);
      // Half a ClientHello: progress, so it outranks the idle one.
      await started.write(HALF_CLIENT_HELLO);
      await pollUntil(() => listener.pending.count === 2, "two connections are pending");
      // The bytes reach the server, and the idle one is old enough to give way.
      await new Promise((resolve) => setTimeout(resolve, DISPLACE_GRACE_MS + 100));
      const newcomer = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(newcomer);
      await closedByServer(idle);
      assert.equal(seen.capped.length, 1);
      assert.equal(seen.capped[0], `per source 127.0.0.1:${(idle.localAddr as Deno.NetAddr).port}`);
      await pollUntil(() => listener.pending.count === 2, "the newcomer holds the freed place");
      assert.equal(listener.pending.evicted, 1);
    } finally {
      for (const conn of conns) conn.close();
      await listener.close();
    }
  });
});

Deno.test("TlsListener: a NAT neighbour holding its network's cap of idle connections does not keep a valid client of that network out", async () => {
  await withMaterial(async (server, client) => {
    const { seen, events } = recorder();
    const listener = await TlsListener.listen({ host: "127.0.0.1", port: 0 }, server, events, {
      maxPendingPerSource: 8,
      maxPendingPerNetwork4: 4,
      handshakeTimeoutMs: 10_000,
    });
    const port = listener.endpoint.port;
    // The neighbour (127.0.0.2, the same /24 as the client's 127.0.0.3) holds all four places.
    const idle = Array.from({ length: 4 }, () => {
      const socket = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" });
      socket.on("error", () => {});
      return socket;
    });
    let valid: tls.TLSSocket | undefined;
    try {
      await pollUntil(() => listener.pending.count === 4, "the neighbour holds the network's cap");
      await new Promise((resolve) => setTimeout(resolve, DISPLACE_GRACE_MS + 100));
      valid = tls.connect({
        socket: net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.3" }),
        ca: server.ca,
        cert: client.cert,
        key: client.key,
        ALPNProtocols: [ALPN_PROTOCOL],
        rejectUnauthorized: false,
      });
      valid.on("error", () => {});
      valid.resume();
      await pollUntil(
        () => seen.streams === 1 || seen.capped.some((line) => line.includes("127.0.0.3")),
        "the valid client gets a session or is turned away",
      );
      assert.equal(seen.streams, 1, `the valid client got no session: ${JSON.stringify(seen)}`);
      assert.equal(seen.capped.length, 1, JSON.stringify(seen.capped));
      assert.match(seen.capped[0]!, /^per network 127\.0\.0\.2:\d+$/, "an idle one gave way");
    } finally {
      valid?.destroy();
      for (const socket of idle) socket.destroy();
      await listener.close();
    }
  });
});

Deno.test("TlsListener turns a newcomer away with a TLS alert only when every place is held by a finished handshake", async () => {
  await withMaterial(async (server, client) => {
    const held: Array<() => void> = [];
    const { seen, events } = recorder();
    const listener = await TlsListener.listen({ host: "127.0.0.1", port: 0 }, server, {
      ...events,
      // Sessions that never open: their places stay taken.
      onStream: (stream, slot) => held.push(() => (slot.release(), stream.destroy())),
    }, { maxPendingPerSource: 1, handshakeTimeoutMs: 10_000 });
    const port = listener.endpoint.port;
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ca: server.ca,
      cert: client.cert,
      key: client.key,
      ALPNProtocols: [ALPN_PROTOCOL],
      rejectUnauthorized: false,
    });
    socket.on("error", () => {});
    try {
      await pollUntil(() => held.length === 1, "the first client's handshake completes");
      const newcomer = await Deno.connect({ hostname: "127.0.0.1", port });
      const received: number[] = [];
      const buffer = new Uint8Array(64);
      for (let n; (n = await newcomer.read(buffer).catch(() => null)) !== null;) {
        received.push(...buffer.subarray(0, n));
      }
      newcomer.close();
      assert.deepEqual(
        received,
        [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 80],
        "a fatal internal_error alert",
      );
      assert.deepEqual(seen.capped.map((line) => line.split(" 127")[0]), ["per source"]);
      // Our own client says what happened, and the client's loop retries soon (isCapRefusal).
      const refusal = await dialTls({ host: "127.0.0.1", port }, client).then(
        () => "connected",
        (error: Error) => error.message,
      );
      assert.match(refusal, /turned us away at a connection cap/);
      assert.ok(isCapRefusal(refusal));
    } finally {
      socket.destroy();
      for (const release of held) release();
      await listener.close();
    }
  });
});

/**
 * One raw connection to a listener with a 150 ms handshake deadline, `bytes` written on it, until
 * the server closes it; returns what the door saw and how long the close took, once the
 * connection's place is free again.
 */
async function closedAtDeadline(server: TlsMaterial, bytes?: Uint8Array) {
  const { seen, events } = recorder();
  const listener = await TlsListener.listen({ host: "127.0.0.1", port: 0 }, server, events, {
    handshakeTimeoutMs: 150,
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.endpoint.port });
  try {
    const started = performance.now();
    if (bytes) await conn.write(bytes);
    await closedByServer(conn);
    const ms = performance.now() - started;
    await pollUntil(() => listener.pending.count === 0, "its place is free again");
    return { seen, ms };
  } finally {
    conn.close();
    await listener.close();
  }
}

Deno.test("TlsListener closes a connection that does not finish its handshake in time", async () => {
  await withMaterial(async (server) => {
    const { seen, ms } = await closedAtDeadline(server);
    assert.ok(ms >= 100 && ms < 5000, `closed after ${ms.toFixed(0)} ms`);
    assert.equal(seen.timeouts.length, 1);
  });
});

Deno.test("TlsListener closes a connection that sent half a ClientHello at the deadline", async () => {
  await withMaterial(async (server) => {
    const { seen } = await closedAtDeadline(server, HALF_CLIENT_HELLO);
    assert.equal(seen.timeouts.length, 1, JSON.stringify(seen));
    assert.deepEqual(seen.failures, [], "a timeout is not a failed handshake as well");
  });
});

Deno.test("TlsListener reports a client without a certificate, and a broken handshake, with the peer's address", async () => {
  await withMaterial(async (server) => {
    const { seen, events } = recorder();
    const listener = await TlsListener.listen({ host: "127.0.0.1", port: 0 }, server, events);
    const port = listener.endpoint.port;
    try {
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        ca: server.ca,
        ALPNProtocols: [ALPN_PROTOCOL],
        rejectUnauthorized: false,
      });
      socket.on("error", () => {});
      socket.on("data", () => {});
      // Deno's node:tls client may not emit "close" here; the server's end is what counts.
      await new Promise((resolve) => {
        socket.once("end", resolve);
        socket.once("close", resolve);
      });
      socket.destroy();
      assert.equal(seen.streams, 0, "no session for a client without a certificate");
      assert.equal(seen.unauthorized.length, 1);
      assert.match(seen.unauthorized[0]!, /^127\.0\.0\.1:\d+$/);

      const garbage = await Deno.connect({ hostname: "127.0.0.1", port });
      await garbage.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
      await closedByServer(garbage);
      garbage.close();
      await pollUntil(() => seen.failures.length === 1, "the broken handshake is reported");
      assert.match(seen.failures[0]!, /^127\.0\.0\.1:\d+$/, "the address comes through _parent");
      await pollUntil(() => listener.pending.count === 0, "every place is free again");
      // Many refused clients in a row: none of them keeps a place (the per-source cap is 8).
      for (let i = 0; i < 12; i++) {
        const again = tls.connect({
          host: "127.0.0.1",
          port,
          ca: server.ca,
          rejectUnauthorized: false,
        });
        again.on("error", () => {});
        again.on("data", () => {});
        await new Promise((resolve) => {
          again.once("end", resolve);
          again.once("close", resolve);
          again.once("error", resolve);
        });
        again.destroy();
      }
      assert.equal(seen.capped.length, 0, `refused clients kept their places: ${seen.capped}`);
      assert.equal(seen.unauthorized.length, 13);
    } finally {
      await listener.close();
    }
  });
});
