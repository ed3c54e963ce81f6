/**
 * Revocation end to end: a server whose configuration names the CA's CRL refuses a client whose
 * certificate it lists, tells it why, and keeps serving the others. Needs root; skipped otherwise.
 */

import assert from "node:assert/strict";
import { revokeCertificate } from "../../src/pki/revoke.ts";
import { E2eLab, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";

const ignore = Deno.uid() !== 0;

Deno.test({
  name:
    "a server with crl_file refuses a revoked client certificate, says why, and serves the rest",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("crl");
    await lab.issue({ certDir: lab.certDir, clientName: "lost" });
    const revoked = await revokeCertificate({ certDir: lab.certDir, name: "lost" });
    const configs = await lab.configs();
    await Deno.writeTextFile(configs.serverConfig, `    crl_file: ${lab.certDir}/ca.crl\n`, {
      append: true,
    });
    const server = await lab.startServer(configs);

    const lost = await lab.configs({ clientName: "lost" });
    const client = lab.start(lab.client, lost.clientConfig, lost.clientLog);
    const refusal = await server.waitForLog(/client .* \(lost\) refused: .*/);
    assert.match(refusal, new RegExp(`its certificate ${revoked.serialHex} is revoked`));
    const told = await client.waitForLog(/disconnected from .*/);
    assert.match(told, /server closed the session: certificate refused: it is revoked/);
    const ping = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 2 });
    assert.equal(ping.ok, false, `a revoked client reached the tunnel:\n${ping.output}`);
    assert.doesNotMatch(await server.log(), /authenticated as lost/);
    await client.stop();

    // The certificate that is not on the list still connects.
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
  },
});
