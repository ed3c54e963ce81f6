import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { join } from "node:path";
import { CertificateStore } from "../../src/pki/certificate_store.ts";
import { revokeCertificate } from "../../src/pki/revoke.ts";
import { fileVersion, FileWatch, watchCertificateFiles } from "../../src/pki/cert_watch.ts";
import { pollUntil } from "../lib/poll.ts";
import { issueCaWithClients, serverTlsConfig } from "../lib/pki_fixtures.ts";

Deno.test("FileWatch calls back once per poll that finds a file replaced, grown or touched", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sst-watch-" });
  try {
    const [a, b] = [join(dir, "a"), join(dir, "b")];
    await Deno.writeTextFile(a, "one");
    await Deno.writeTextFile(b, "two");
    let calls = 0;
    using watch = new FileWatch([a, b], () => {
      calls++;
      return Promise.resolve();
    }, { intervalMs: 3_600_000 });
    await watch.start();
    assert.equal(await watch.poll(), false);
    // Replaced by a rename (as cp to a temporary file and mv do): a new inode.
    await Deno.writeTextFile(join(dir, "b.new"), "two");
    await Deno.rename(join(dir, "b.new"), b);
    assert.equal(await watch.poll(), true);
    await Deno.writeTextFile(a, "one more");
    assert.equal(await watch.poll(), true);
    await Deno.remove(a);
    assert.equal(await watch.poll(), true);
    assert.equal(await watch.poll(), false);
    assert.equal(calls, 3);
    assert.equal(fileVersion(undefined), "missing");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watchCertificateFiles() reloads the store when a new CRL is copied into place", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sst-watch-" });
  try {
    await issueCaWithClients(dir, "127.0.0.1", ["a"]);
    const tls = serverTlsConfig(dir, { minVersion: "1.3", crlFile: join(dir, "deployed.crl") });
    await Deno.copyFile(join(dir, "ca.crl"), tls.crlFile!);
    const store = await CertificateStore.load(tls, "server");
    let told = 0;
    store.onChange(() => told++);
    using watch = watchCertificateFiles(
      { ...tls, reloadInterval: 1 },
      store,
      getLogger(["sssonector-test"]),
    );
    await watch.ready;
    const { serialHex } = await revokeCertificate({ certDir: dir, name: "a" });
    await Deno.copyFile(join(dir, "ca.crl"), tls.crlFile!);
    await pollUntil(() => store.isRevoked(serialHex), "the copied CRL is in force");
    assert.equal(told, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
