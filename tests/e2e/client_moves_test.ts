/**
 * Clients that move: the client's underlay address is removed mid-transfer and another one
 * added (a laptop changing networks, a DHCP renewal). The client notices that its connection's
 * local address is gone, drops the dead connection and redials from the new address, instead of
 * waiting for the keepalive timeout (35 s).
 */
import assert from "node:assert/strict";
import { E2eLab, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";
import { pollUntil } from "../lib/poll.ts";

const NEW_ADDRESS = "198.18.0.4";

Deno.test({
  name: "a client whose address goes away redials from its new address within seconds",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("moves");
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    const client = await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    // Traffic through the tunnel while the address changes.
    const flood = lab.net.spawn(lab.client, "ping", ["-i", "0.05", "-q", SERVER_TUNNEL_IP]);
    try {
      const moved = performance.now();
      await lab.net.exec(lab.client, "ip", [
        "addr",
        "del",
        `${lab.client.ip}/24`,
        "dev",
        lab.client.veth,
      ]);
      await lab.net.exec(lab.client, "ip", [
        "addr",
        "add",
        `${NEW_ADDRESS}/24`,
        "dev",
        lab.client.veth,
      ]);
      await client.waitForLog(/local address 198\.18\.0\.2 went away/, 10_000);
      await server.waitForLog(
        new RegExp(`\\(${NEW_ADDRESS.replaceAll(".", "\\.")}:\\d+\\) is 10\\.0\\.0\\.2`),
        15_000,
      );
      await pollUntil(
        async () => (await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 1 })).ok,
        "pings cross again",
      );
      const seconds = (performance.now() - moved) / 1000;
      console.log(`traffic flowed again ${seconds.toFixed(2)} s after the address moved`);
      assert.ok(
        seconds < 15,
        `${seconds.toFixed(1)} s: the keepalive timeout, not the move, was noticed`,
      );
    } finally {
      await lab.net.stop(flood, 1000);
    }
    await client.stop();
    await server.stop();
  },
});
