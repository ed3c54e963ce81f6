import assert from "node:assert/strict";
import { type DemoResult, demoWorked, formatDemoSummary } from "../../tools/demo/demo.ts";
import type { PingStats } from "../../tools/lab/ping.ts";

const PING: PingStats = {
  sent: 10,
  received: 10,
  minMs: 0.5,
  avgMs: 1.25,
  maxMs: 2,
  samplesMs: [],
};

const RESULT: DemoResult = {
  connected: 'connected to "198.18.0.1:443" as "10.0.0.2/24" ("TLSv1.3", "TLS_AES_256_GCM_SHA384")',
  toServer: PING,
  toClient: { ...PING, avgMs: 0.75 },
  uploadBps: 2.5e9,
  downloadBps: 1.25e9,
};

Deno.test("formatDemoSummary() names the handshake, both round trips and both throughputs", () => {
  assert.equal(
    formatDemoSummary(RESULT),
    [
      "SSSonector demo summary",
      "  handshake        mutual TLS, TLSv1.3 TLS_AES_256_GCM_SHA384",
      "  tunnel           10.0.0.2 (client) <-> 10.0.0.1 (server), MTU 1500",
      "  rtt client->srv  1.250 ms avg (10/10)",
      "  rtt srv->client  0.750 ms avg (10/10)",
      "  client -> server 2.50 Gbit/s",
      "  server -> client 1.25 Gbit/s",
      "  result           tunnel works both ways",
    ].join("\n"),
  );
});

Deno.test("formatDemoSummary() says FAILED when nothing came back one way", () => {
  const failed = { ...RESULT, toClient: { ...PING, received: 0 } };
  assert.equal(demoWorked(failed), false);
  assert.match(formatDemoSummary(failed), /^ {2}result {11}FAILED$/m);
  assert.equal(demoWorked({ ...RESULT, downloadBps: 0 }), false);
  assert.match(
    formatDemoSummary({ ...RESULT, connected: "connected to x" }),
    /mutual TLS, see client log/,
  );
});
