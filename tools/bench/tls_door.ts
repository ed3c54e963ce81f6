/**
 * The bare-TLS server of `bench --fleet`: the product's own listener (src/transport/listener.ts:
 * node:tls, the same options, mutual authentication against the same CA) that ends every
 * authenticated connection at once, with no session, no TUN and no logging (and sends a Close to a
 * client it does not accept, so that the load counts it as failed). Set against the
 * real server it shows what the tunnel set-up adds to the TLS handshake.
 *
 * `deno run -A tls_door.ts HOST PORT CERT KEY CA`; prints `{"listening":PORT}` once it accepts,
 * then runs until SIGTERM or SIGINT.
 *
 * @module
 */

import { CloseCode, encodeClose } from "../../src/frame/control.ts";
import { TlsListener } from "../../src/transport/listener.ts";

/** Pending connections at once, in all and per source: high, so that they never limit the load. */
export const DOOR_MAX_PENDING = 4096;

if (import.meta.main) {
  const [host, port, certFile, keyFile, caFile] = Deno.args;
  if (!host || !port || !certFile || !keyFile || !caFile) {
    console.error("usage: tls_door.ts HOST PORT CERT KEY CA");
    Deno.exit(2);
  }
  const listener = await TlsListener.listen({ host, port: Number(port) }, {
    cert: await Deno.readTextFile(certFile),
    key: await Deno.readTextFile(keyFile),
    ca: await Deno.readTextFile(caFile),
    minVersion: "1.2",
  }, {
    onStream: (stream, slot) => {
      slot.release();
      stream.end();
    },
    // The load generator counts any byte from us as a refusal.
    onUnauthorized: (peer) =>
      peer.refuse(encodeClose({ code: CloseCode.CertificateRefused, message: "refused" })),
    onHandshakeFailure: () => {},
    onCapped: () => {},
    onHandshakeTimeout: () => {},
  }, { maxPending: DOOR_MAX_PENDING, maxPendingPerSource: DOOR_MAX_PENDING });
  // Nothing is left to flush: every connection was ended when it came.
  const stop = () => Deno.exit(0);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  console.log(JSON.stringify({ listening: listener.endpoint.port }));
}
