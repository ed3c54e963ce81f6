import assert from "node:assert/strict";
import { join } from "node:path";
import { CertificateSetError, CertificateStore } from "../../src/pki/certificate_store.ts";
import { issueCaWithClients, serverTlsConfig } from "../lib/pki_fixtures.ts";

Deno.test("a crl_file that does not exist gets one line naming --refresh-crl as the fix", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sst-crl-missing-" });
  try {
    await issueCaWithClients(dir, "127.0.0.1", ["client"]);
    const crlFile = join(dir, "missing", "ca.crl");
    await assert.rejects(
      CertificateStore.load(serverTlsConfig(dir, { minVersion: "1.3", crlFile }), "server"),
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
