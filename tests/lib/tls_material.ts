import type { TlsMaterial } from "../../src/pki/material.ts";
import { dialTls } from "../../src/transport/dialer.ts";
import { TlsListener } from "../../src/transport/listener.ts";
import type { SecureStream, TlsSocketStream } from "../../src/transport/secure_stream.ts";
import { acceptOnly } from "../../tools/lab/listener_events.ts";
import { loopbackCertificates } from "../../tools/lab/loopback_certificates.ts";

/** Runs `fn` with fresh server and client material for 127.0.0.1 from a new CA, then removes it. */
export async function withMaterial(
  fn: (server: TlsMaterial, client: TlsMaterial) => Promise<void>,
) {
  await using certs = await loopbackCertificates("sst-material-");
  await fn(await certs.material("server"), await certs.material("client"));
}

/**
 * A dialed client stream and the server's accepted stream over real TLS on loopback, closed and
 * their listener too when `fn` ends, also when it fails.
 */
export async function withStreamPair(
  fn: (client: SecureStream, server: TlsSocketStream) => Promise<void>,
): Promise<void> {
  await withMaterial(async (serverMaterial, clientMaterial) => {
    let accepted!: (stream: SecureStream) => void;
    const serverSide = new Promise<SecureStream>((resolve) => (accepted = resolve));
    const listener = await TlsListener.listen(
      { host: "127.0.0.1", port: 0 },
      serverMaterial,
      acceptOnly(accepted),
    );
    const client = await dialTls(
      { host: "127.0.0.1", port: listener.endpoint.port },
      clientMaterial,
    );
    const server = (await serverSide) as TlsSocketStream;
    try {
      await fn(client, server);
    } finally {
      client.destroy();
      server.destroy();
      await Promise.all([client.closed, server.closed]);
      await listener.close();
    }
  });
}
