import assert from "node:assert/strict";
import { join } from "node:path";
import { CertificateSetError, CertificateStore } from "../../src/pki/certificate_store.ts";
import { generateCertificates } from "../../src/pki/generate.ts";

Deno.test("a crl_file that does not exist gets one line naming --refresh-crl as the fix", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sst-crl-missing-" });
  try {
    await generateCertificates({
      certDir: dir,
      serverIp: "127.0.0.1",
      serverNames: [],
      clientName: "client",
      days: 30,
      keyType: "ecdsa-p256",
      force: false,
    });
    const crlFile = join(dir, "missing", "ca.crl");
    await assert.rejects(
      CertificateStore.load({
        enabled: true,
        minVersion: "1.3",
        certFile: join(dir, "server.crt"),
        keyFile: join(dir, "server.key"),
        caFile: join(dir, "ca.crt"),
        crlFile,
      }, "server"),
      (error: unknown) => {
        assert.ok(error instanceof CertificateSetError);
        assert.equal(error.problems.length, 1);
        assert.equal(
          error.problems[0],
          `${crlFile}: no such file; create an empty list where ca.key is with ` +
            `"sssonector --refresh-crl --cert-dir DIR" and copy its ca.crl here`,
        );
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
