/**
 * What the lab's misbehaving clients (stranger.ts, crowd.ts, setup_race.ts: each run as its own
 * process in a lab namespace) build their connections from: node:tls options with a certificate
 * from a lab folder, a connect that resolves once the handshake is done, and the Hello they claim
 * an address with.
 *
 * @module
 */
import tls from "node:tls";
import { encodeHello, PROTOCOL_VERSION } from "../../src/frame/control.ts";
import { ALPN_PROTOCOL } from "../../src/transport/tls_options.ts";

/** A TLS record header announcing a 512-byte handshake message, and 4 bytes of it. */
export const HALF_CLIENT_HELLO = new Uint8Array([
  0x16,
  0x03,
  0x01,
  0x02,
  0x00,
  0x01,
  0x00,
  0x01,
  0xfc,
]);

/**
 * node:tls options for the server at host:port, offering our ALPN and never checking the server's
 * name or chain (a stranger does not care); with `certDir`'s ca.crt, and NAME.crt/NAME.key as the
 * client certificate when `name` is given too; from `localAddress` when given.
 */
export function labTlsOptions(
  host: string,
  port: number,
  certDir?: string,
  name?: string,
  localAddress?: string,
): tls.ConnectionOptions {
  return {
    host,
    port,
    ...(localAddress ? { localAddress } : {}),
    ca: certDir ? Deno.readTextFileSync(`${certDir}/ca.crt`) : undefined,
    ...(certDir && name
      ? {
        cert: Deno.readTextFileSync(`${certDir}/${name}.crt`),
        key: Deno.readTextFileSync(`${certDir}/${name}.key`),
      }
      : {}),
    rejectUnauthorized: false,
    ALPNProtocols: [ALPN_PROTOCOL],
  };
}

/** A TLS connection once its handshake is done; rejects when it fails or closes before that. */
export function connectTls(options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options);
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
    socket.once("close", () => reject(new Error("closed during the handshake")));
  });
}

/** Our Hello from the tool `software`, claiming `address` (MTU 1500), offering `features`. */
export function labHello(
  software: string,
  address: string,
  features: readonly string[] = [],
): Uint8Array {
  return encodeHello({ protocol: PROTOCOL_VERSION, software, address, mtu: 1500, features });
}
