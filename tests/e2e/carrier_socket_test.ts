/**
 * The carrier's socket reached through the shim, on real TLS connections over loopback: found by
 * its endpoints on both sides, TCP_NOTSENT_LOWAT, the congestion control, a thin stream's timeouts
 * and a pacing cap set, TCP_INFO read.
 */
import assert from "node:assert/strict";
import { TlsListener } from "../../src/transport/listener.ts";
import { dialTls } from "../../src/transport/dialer.ts";
import type { SecureStream } from "../../src/transport/secure_stream.ts";
import { CarrierSocket } from "../../src/transport/carrier_socket.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { pollUntil } from "../lib/poll.ts";
import { withMaterial } from "../lib/tls_material.ts";

Deno.test("CarrierSocket finds both ends of a TLS connection, tunes them and reads TCP_INFO", async () => {
  const lib = loadNativeLibrary();
  try {
    await withMaterial(async (serverMaterial, clientMaterial) => {
      let accepted: SecureStream | undefined;
      const listener = await TlsListener.listen({ host: "127.0.0.1", port: 0 }, serverMaterial, {
        onStream: (stream, slot) => {
          slot.release();
          accepted = stream;
        },
        onUnauthorized: (peer) => peer.refuse(new Uint8Array()),
        onHandshakeFailure: () => {},
        onCapped: () => {},
        onHandshakeTimeout: () => {},
      });
      const client = await dialTls(
        { host: "127.0.0.1", port: listener.endpoint.port },
        clientMaterial,
      );
      try {
        await pollUntil(() => accepted !== undefined, "the server has the stream");
        for (const stream of [client, accepted!]) {
          assert.ok(stream.endpoints, "the stream knows its endpoints");
          const socket = CarrierSocket.find(lib, stream.endpoints);
          assert.ok(socket, `found ${JSON.stringify(stream.endpoints)}`);
          assert.equal(socket.setNotsentLowat(16384), true);
          assert.equal(socket.setCongestionControl("reno"), 0);
          assert.equal(socket.congestionControl(), "reno");
          assert.ok(socket.setCongestionControl("no-such-algorithm") < 0);
          assert.equal(socket.setThinStream(10_000), 0, "TCP_RTO_MIN_US and linear timeouts");
          assert.equal(socket.setMaxPacingRate(80e6), true);
          assert.equal(socket.setMaxPacingRate(0), true, "and the cap lifted again");
          await stream.write(new Uint8Array(100_000));
          const health = socket.health();
          assert.ok(health, "TCP_INFO");
          assert.ok(health.srttMs > 0 && health.cwnd > 0 && health.mss > 0, JSON.stringify(health));
        }
        // The server's end counts what TLS received: the client's 100,000 bytes of plaintext in
        // records of at most 16 KiB (22 to 29 bytes each), after the handshake's few KiB.
        const server = CarrierSocket.find(lib, accepted!.endpoints!)!;
        await pollUntil(
          () => (server.health()?.bytesReceived ?? 0) >= 100_000,
          "the server's carrier counts the bytes received",
        );
        const received = server.health()!;
        assert.ok(received.receiveQueued >= 0 && received.receiveQueued <= received.bytesReceived);
        assert.ok(received.bytesReceived < 100_000 + 16_384, JSON.stringify(received));
        const swapped = {
          ...client.endpoints!,
          localPort: client.endpoints!.remotePort,
          remotePort: client.endpoints!.localPort,
        };
        assert.equal(CarrierSocket.find(lib, { ...swapped, remotePort: 1 }), undefined);
      } finally {
        client.destroy();
        accepted?.destroy();
        await listener.close();
      }
    });
  } finally {
    lib.close();
  }
});
