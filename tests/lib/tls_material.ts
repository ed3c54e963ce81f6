import { generateCertificates } from "../../src/pki/generate.ts";
import type { TlsMaterial } from "../../src/pki/material.ts";

/** Runs `fn` with fresh server and client material for 127.0.0.1 from a new CA, then removes it. */
export async function withMaterial(
  fn: (server: TlsMaterial, client: TlsMaterial) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  try {
    await generateCertificates({
      certDir: dir,
      serverIp: "127.0.0.1",
      serverNames: [],
      clientName: "client",
      days: 1,
      keyType: "ecdsa-p256",
      force: false,
    });
    const read = (file: string) => Deno.readTextFile(`${dir}/${file}`);
    const ca = await read("ca.crt");
    await fn(
      { cert: await read("server.crt"), key: await read("server.key"), ca, minVersion: "1.2" },
      { cert: await read("client.crt"), key: await read("client.key"), ca, minVersion: "1.2" },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
