/**
 * Sparse lanes with the real program: the client's second TLS connection (same certificate) joins
 * its session, pings travel on it; when the kernel aborts that connection (`ss -K`), pings cross
 * again over the main connection, the session is the same one (no reconnect), and the client opens
 * a new lane on a fresh token.
 */
import assert from "node:assert/strict";
import { E2eLab, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";
import { pollUntil } from "../lib/poll.ts";

Deno.test({
  name: "a client's sparse lane joins with real TLS, and the session outlives the lane",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("lane");
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    const client = await lab.startClient(configs);
    await client.waitForLog(/sparse lane open to/);
    const opened = await server.waitForLog(/\(198\.18\.0\.2:(\d+)\) opened a sparse lane/);
    const lanePort = /:(\d+)\)/.exec(opened)![1]!;
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    const established = await lab.net.exec(lab.client, "ss", ["-Htn", "state", "established"]);
    assert.equal(
      established.split("\n").filter((line) => line.includes(":443")).length,
      2,
      `two connections to the server:\n${established}`,
    );

    // The kernel aborts the lane (as a middlebox's reset would); the session stays.
    await lab.net.exec(lab.client, "ss", ["-K", "sport", "=", `:${lanePort}`]);
    await client.waitForLog(/sparse lane closed .*; opening another/, 10_000);
    await pollUntil(
      async () => (await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 1 })).ok,
      "pings cross over the main connection",
    );
    await pollUntil(
      async () => ((await server.log()).match(/opened a sparse lane/g)?.length ?? 0) === 2,
      "the client opens a second lane",
    );
    await client.waitForLog(/sparse lane open to[\s\S]*sparse lane open to/);
    const clientLog = await client.log();
    assert.equal(clientLog.match(/connected to /g)?.length, 1, `no reconnect:\n${clientLog}`);
    assert.doesNotMatch(await server.log(), /disconnected/);
    await client.stop();
    await server.stop();
  },
});
