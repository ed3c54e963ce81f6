import assert from "node:assert/strict";
import { prepareLab } from "../../src/lab/lab_configs.ts";
import { NetnsLab } from "../../src/lab/netns_lab.ts";
import { TunnelProcess } from "../../src/lab/tunnel_process.ts";

Deno.test({
  name: "a client stopped while its connection attempt hangs exits at once, cleanly",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await NetnsLab.create("stop");
    const dir = await Deno.makeTempDir();
    try {
      const configs = await prepareLab(lab, dir);
      // The server host silently drops the tunnel port: every connection attempt hangs.
      await lab.exec(lab.server, "nft", [
        "add table inet blackhole; add chain inet blackhole input { type filter hook input priority 0; }; " +
        "add rule inet blackhole input tcp dport 443 drop",
      ]);
      const client = TunnelProcess.start(lab, lab.client, configs.clientConfig, configs.clientLog);
      await client.waitForLog(/connecting to/);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the dial is under way
      const started = performance.now();
      const status = await client.stop(10_000);
      const seconds = (performance.now() - started) / 1000;
      assert.equal(status.code, 0, await client.stderr());
      assert.ok(
        seconds < 5,
        `stopping took ${seconds.toFixed(1)} s; the 10 s dial timeout held it`,
      );
      const tun = await lab.try(lab.client, "ip", ["link", "show", "tun0"]);
      assert.notEqual(tun.code, 0, "tun0 was removed");
      assert.doesNotMatch(await client.log(), /ERROR/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
