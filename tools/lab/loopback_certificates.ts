/**
 * A fresh PKI for a test or a tool on loopback: a new CA, a server certificate for 127.0.0.1 and a
 * client certificate named "client" (ECDSA P-256, made by the product's own --generate-certs
 * code), in a new temporary folder that disposal removes.
 *
 *   await using certs = await loopbackCertificates("sst-alert-");
 *   const ca = await certs.read("ca.crt");
 *   const server = await certs.material("server");
 *
 * In tools/ so that both the benchmarks and tests/lib can import it (tools/ imports nothing of
 * tests/).
 *
 * @module
 */
import { join } from "node:path";
import { generateCertificates } from "../../src/pki/generate.ts";
import type { TlsMaterial } from "../../src/pki/material.ts";

/** The folder of a loopback PKI: ca.crt/.key, server.crt/.key, client.crt/.key. */
export interface LoopbackCertificates extends AsyncDisposable {
  readonly dir: string;
  /** The path of `file` in the folder. */
  path(file: string): string;
  /** The text of `file` in the folder. */
  read(file: string): Promise<string>;
  /** What the server's or the client's end needs for mutual TLS (TLS 1.2 and up). */
  material(end: "server" | "client"): Promise<TlsMaterial>;
}

/**
 * Makes the folder (named with `prefix`) and its certificates, valid for a day; removes the
 * folder again if that fails.
 */
export async function loopbackCertificates(prefix: string): Promise<LoopbackCertificates> {
  const dir = await Deno.makeTempDir({ prefix });
  const remove = () => Deno.remove(dir, { recursive: true });
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
  } catch (error) {
    await remove();
    throw error;
  }
  const read = (file: string) => Deno.readTextFile(join(dir, file));
  return {
    dir,
    path: (file) => join(dir, file),
    read,
    material: async (end) => ({
      cert: await read(`${end}.crt`),
      key: await read(`${end}.key`),
      ca: await read("ca.crt"),
      minVersion: "1.2",
    }),
    [Symbol.asyncDispose]: remove,
  };
}
