import assert from "node:assert/strict";
import { acceptOnly } from "../../tools/lab/listener_events.ts";
import { join } from "node:path";
import type { TlsConfig } from "../../src/config/types.ts";
import { CertificateStore } from "../../src/pki/certificate_store.ts";
import { generateCertificates } from "../../src/pki/generate.ts";
import { dialTls } from "../../src/transport/dialer.ts";
import { TlsListener } from "../../src/transport/listener.ts";
import type { SecureStream } from "../../src/transport/secure_stream.ts";

const base = { serverNames: [], days: 1, keyType: "ecdsa-p256", force: false } as const;

/** One exchange of a few bytes each way. */
async function roundTrip(a: SecureStream, b: SecureStream): Promise<void> {
  const got = (stream: SecureStream) =>
    new Promise<number>((resolve) => stream.onData((chunk) => resolve(chunk[0] ?? -1)));
  const [atB, atA] = [got(b), got(a)];
  await a.write(new Uint8Array([7]));
  await b.write(new Uint8Array([9]));
  assert.deepEqual([await atB, await atA], [7, 9]);
}

Deno.test("a reloaded server certificate serves new handshakes while live connections keep theirs; a broken reload changes nothing", async () => {
  const root = await Deno.makeTempDir({ prefix: "sssonector_reload_" });
  const streams: SecureStream[] = [];
  let listener: TlsListener | undefined;
  try {
    // Generation A, and generation B: a second server certificate from the same CA.
    const first = join(root, "a");
    const a = await generateCertificates({
      ...base,
      certDir: first,
      serverIp: "127.0.0.1",
      clientName: "client",
    });
    const second = join(root, "b");
    await Deno.mkdir(second);
    for (const name of ["ca.crt", "ca.key"]) {
      await Deno.copyFile(join(first, name), join(second, name));
    }
    const b = await generateCertificates({
      ...base,
      certDir: second,
      serverIp: "127.0.0.1",
      clientName: "other",
    });

    const deploy = join(root, "deploy");
    await Deno.mkdir(deploy);
    const tls: TlsConfig = {
      enabled: true,
      minVersion: "1.2",
      certFile: join(deploy, "server.crt"),
      keyFile: join(deploy, "server.key"),
      caFile: join(deploy, "ca.crt"),
    };
    const install = async (from: typeof a) => {
      await Deno.copyFile(from.serverCertFile ?? "", tls.certFile);
      await Deno.copyFile(from.serverKeyFile ?? "", tls.keyFile);
      await Deno.copyFile(from.caCertFile, tls.caFile);
    };
    await install(a);
    const store = await CertificateStore.load(tls, "server");
    const fingerprintA = store.state().certificate.fingerprintSha256;

    const accepted: SecureStream[] = [];
    const waiters: ((stream: SecureStream) => void)[] = [];
    listener = await TlsListener.listen(
      { host: "127.0.0.1", port: 0 },
      store.current(),
      acceptOnly((stream) => {
        streams.push(stream);
        const waiter = waiters.shift();
        if (waiter) waiter(stream);
        else accepted.push(stream);
      }),
    );
    store.onChange((material) => listener?.setMaterial(material));
    const clientMaterial = {
      cert: await Deno.readTextFile(a.clientCertFile),
      key: await Deno.readTextFile(a.clientKeyFile),
      ca: await Deno.readTextFile(a.caCertFile),
      minVersion: "1.2",
    } as const;
    const port = listener.endpoint.port;
    const connect = async () => {
      const client = await dialTls({ host: "127.0.0.1", port }, clientMaterial);
      streams.push(client);
      const server = accepted.shift() ??
        await new Promise<SecureStream>((resolve) => waiters.push(resolve));
      return { client, server };
    };

    const live = await connect();
    assert.equal(live.client.info.peerFingerprint, fingerprintA);

    await install(b);
    const swapped = await store.reload();
    assert.equal(swapped.status, "swapped", swapped.message);
    const fingerprintB = store.state().certificate.fingerprintSha256;
    assert.notEqual(fingerprintB, fingerprintA);
    const fresh = await connect();
    assert.equal(fresh.client.info.peerFingerprint, fingerprintB, "a new handshake gets B");
    await roundTrip(live.client, live.server);
    await roundTrip(fresh.client, fresh.server);

    await Deno.writeTextFile(tls.keyFile, "broken\n");
    const kept = await store.reload();
    assert.equal(kept.status, "kept");
    const after = await connect();
    assert.equal(after.client.info.peerFingerprint, fingerprintB, "still B after a broken reload");
    await roundTrip(live.client, live.server);
  } finally {
    for (const stream of streams) stream.destroy();
    await Promise.all(streams.map((stream) => stream.closed));
    await listener?.close();
    await Deno.remove(root, { recursive: true });
  }
});
