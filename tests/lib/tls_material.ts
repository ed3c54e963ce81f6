import type { TlsMaterial } from "../../src/pki/material.ts";
import { loopbackCertificates } from "../../tools/lab/loopback_certificates.ts";

/** Runs `fn` with fresh server and client material for 127.0.0.1 from a new CA, then removes it. */
export async function withMaterial(
  fn: (server: TlsMaterial, client: TlsMaterial) => Promise<void>,
) {
  await using certs = await loopbackCertificates("sst-material-");
  await fn(await certs.material("server"), await certs.material("client"));
}
