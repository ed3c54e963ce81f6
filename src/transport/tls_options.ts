/** node:tls options for both ends, built from the same material so the two never drift. */
import type { ConnectionOptions, TlsOptions } from "node:tls";
import type { Endpoint } from "../config/types.ts";
import { parseIpv4 } from "../ip/address.ts";
import type { TlsMaterial } from "../pki/material.ts";

/** ALPN protocol id; a peer speaking anything else is not an SSSonector of this protocol line. */
export const ALPN_PROTOCOL = "sssonector/1";

function commonOptions(material: TlsMaterial) {
  return {
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    minVersion: material.minVersion === "1.3" ? "TLSv1.3" as const : "TLSv1.2" as const,
    ALPNProtocols: [ALPN_PROTOCOL],
  };
}

/**
 * Server: asks for a client certificate that chains to our CA and is for client authentication.
 * The verdict is node:tls's (`socket.authorized`); the handshake is allowed to finish even when
 * it is negative only so the listener can tell the client why it is refused. An unauthorized
 * socket never gets a session (see listener.ts and its tests).
 */
export function serverTlsOptions(material: TlsMaterial): TlsOptions {
  return {
    ...commonOptions(material),
    requestCert: true,
    rejectUnauthorized: false,
  };
}

/** Client: the server's certificate must chain to our CA and name the host we dial. */
export function clientTlsOptions(material: TlsMaterial, server: Endpoint): ConnectionOptions {
  const hostIsIp = parseIpv4(server.host) !== undefined || server.host.includes(":");
  return {
    ...commonOptions(material),
    host: server.host,
    port: server.port,
    rejectUnauthorized: true,
    // SNI carries DNS names only; for an IP the certificate's IP SAN is checked instead.
    ...(hostIsIp ? {} : { servername: server.host }),
  };
}
