import assert from "node:assert/strict";
import { E2eLab, TUNNEL_PORT } from "../lib/e2e_lab.ts";
import { pollUntil } from "../lib/poll.ts";

Deno.test({
  name: "a client stopped while its connection attempt hangs exits at once, cleanly",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("stop");
    const configs = await lab.configs();
    // The server host silently drops the tunnel port: every connection attempt hangs.
    await lab.net.exec(lab.server, "nft", [
      "add table inet blackhole; add chain inet blackhole input { type filter hook input priority 0; }; " +
      `add rule inet blackhole input tcp dport ${TUNNEL_PORT} counter drop`,
    ]);
    const client = lab.start(lab.client, configs.clientConfig, configs.clientLog);
    await client.waitForLog(/connecting to/);
    // The dial is under way once the server host has dropped its first SYN.
    await pollUntil(async () => {
      const rules = await lab.net.exec(lab.server, "nft", ["list", "table", "inet", "blackhole"]);
      return /counter packets [1-9]/.test(rules);
    }, "the client's SYN reached the server host");
    const started = performance.now();
    const status = await client.stop(10_000);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(status.code, 0, await client.stderr());
    assert.ok(
      seconds < 5,
      `stopping took ${seconds.toFixed(1)} s; the 10 s dial timeout held it`,
    );
    const tun = await lab.net.try(lab.client, "ip", ["link", "show", "tun0"]);
    assert.notEqual(tun.code, 0, "tun0 was removed");
    assert.doesNotMatch(await client.log(), /ERROR/);
  },
});
