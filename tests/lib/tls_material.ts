import type { TlsMaterial } from "../../src/pki/material.ts";
import { loopbackCertificates } from "../../tools/lab/loopback_certificates.ts";

/** Runs `fn` with fresh server and client material for 127.0.0.1 from a new CA, then removes it. */
export async function withMaterial(
  fn: (server: TlsMaterial, client: TlsMaterial) => Promise<void>,
) {
  await using certs = await loopbackCertificates("sst-material-");
  const ca = await certs.read("ca.crt");
  await fn(
    {
      cert: await certs.read("server.crt"),
      key: await certs.read("server.key"),
      ca,
      minVersion: "1.2",
    },
    {
      cert: await certs.read("client.crt"),
      key: await certs.read("client.key"),
      ca,
      minVersion: "1.2",
    },
  );
}
