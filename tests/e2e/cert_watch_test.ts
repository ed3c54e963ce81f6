/**
 * Copying a file is enough: the server re-reads its certificates, CA and CRL by itself when their
 * files change (security.tls.reload_interval), through the same all-or-nothing reload as SIGHUP.
 */
import assert from "node:assert/strict";
import { E2eLab, runCli, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";

const ignore = Deno.uid() !== 0;

Deno.test({
  name: "a new ca.crl copied into place ends the revoked client's session without a SIGHUP",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("watch");
    const configs = await lab.configs();
    await Deno.writeTextFile(
      configs.serverConfig,
      `    crl_file: ${lab.certDir}/ca.crl\n    reload_interval: 1\n`,
      { append: true },
    );
    const server = await lab.startServer(configs);
    const client = await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);

    const revoked = await runCli(["--revoke-cert", "client", "--cert-dir", lab.certDir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    await server.waitForLog(
      /certificate files changed: certificates reloaded: .*CRL number 1 -> 2/,
    );
    const told = await client.waitForLog(/disconnected from .*/);
    assert.match(told, /server closed the session: certificate refused: it is revoked/);
  },
});
