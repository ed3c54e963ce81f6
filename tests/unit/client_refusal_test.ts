import assert from "node:assert/strict";
import { decodePemCertificates } from "../../src/pki/pem.ts";
import { issueCaWithClients } from "../lib/pki_fixtures.ts";
import { explainClientRefusal } from "../../src/server/client_refusal.ts";

Deno.test("explainClientRefusal() names the cause of each refused client certificate", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await issueCaWithClients(dir, "198.18.0.1", ["web1"]);
    const der = async (file: string) =>
      new Uint8Array(decodePemCertificates(await Deno.readTextFile(`${dir}/${file}`))[0]!);
    const client = await der("web1.crt");
    const server = await der("server.crt");
    assert.equal(explainClientRefusal(undefined), "the client presented no certificate");
    assert.match(
      explainClientRefusal(client),
      /^certificate CN=web1 is not signed by our CA: it was issued by CN=SSSonector CA [0-9A-F]{8}, e\.g\. another install's; issue the client one from this server's CA \(--generate-certs --client-name NAME\)$/,
    );
    assert.match(explainClientRefusal(server), /not for client authentication .*lacks clientAuth/);
    const later = new Date(Date.now() + 400 * 86400_000);
    assert.match(explainClientRefusal(client, later), /^certificate CN=web1 expired on \d{4}-/);
    const earlier = new Date(Date.now() - 86400_000);
    assert.match(explainClientRefusal(client, earlier), /is not valid before/);
    assert.equal(
      explainClientRefusal(new Uint8Array([1, 2, 3])),
      "the client certificate cannot be parsed",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
