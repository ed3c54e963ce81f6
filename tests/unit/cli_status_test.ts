import assert from "node:assert/strict";
import { formatStatus } from "../../src/cli/status_format.ts";
import { monitorEndpoint, readStatus } from "../../src/cli/status_client.ts";
import type { StatusReport } from "../../src/monitor/status.ts";

const NOW = Date.parse("2026-12-07T18:00:00Z");

const REPORT: StatusReport = {
  mode: "server",
  version: "0.1.0",
  ready: true,
  reason: "listening on 198.18.0.1:443",
  takenAt: NOW,
  certificate: { subject: "CN=198.18.0.1", serial: "5A3F", expires: "2027-12-07T18:00:00.000Z" },
  authorities: [{ subject: "CN=SSSonector CA 1a2b3c4d", expires: "2036-12-05T18:00:00.000Z" }],
  totals: {
    bytesIn: 3 * 1024 * 1024,
    bytesOut: 2048,
    packetsIn: 10,
    packetsOut: 5,
    rate: { in: 1_200_000, out: 8000 },
  },
  sessions: [{
    peer: "branch-1",
    tunnelAddress: "10.0.0.2/24",
    routes: ["192.168.1.0/24"],
    remote: "198.18.0.2:40000",
    since: NOW - 3_723_000,
    rttMs: 0.314,
    bytesIn: 1536,
    bytesOut: 100,
    packetsIn: 3,
    packetsOut: 1,
    rate: null,
    carrier: null,
    aqm: null,
  }],
};

Deno.test("formatStatus() shows the process, its certificate's expiry and every session", () => {
  assert.equal(
    formatStatus(REPORT, NOW),
    [
      "sssonector server: ready (listening on 198.18.0.1:443), version 0.1.0",
      "  certificate: CN=198.18.0.1, serial 5A3F, expires 2027-12-07 (in 365 days)",
      "  ca: CN=SSSonector CA 1a2b3c4d, expires 2036-12-05 (in 3651 days)",
      "  transfer: 3.0 MiB in, 2.0 KiB out; now 1.20 Mbit/s in, 8.00 kbit/s out",
      "  sessions: 1",
      "",
      "peer: branch-1",
      "  tunnel address: 10.0.0.2/24 (routes 192.168.1.0/24)",
      "  remote: 198.18.0.2:40000",
      "  since: 2026-12-07 16:57:57 UTC (1 h 2 min ago)",
      "  round trip: 0.31 ms",
      "  transfer: 1.5 KiB in, 100 B out",
    ].join("\n"),
  );
});

Deno.test("formatStatus() says when there is no session and when a certificate has expired", () => {
  const text = formatStatus({
    ...REPORT,
    ready: false,
    reason: "not connected to 198.18.0.1:443 yet",
    mode: "client",
    certificate: { ...REPORT.certificate, expires: "2026-12-04T17:00:00.000Z" },
    sessions: [],
  }, NOW);
  assert.match(text, /^sssonector client: NOT READY \(not connected to 198\.18\.0\.1:443 yet\)/);
  assert.match(
    text,
    /certificate: CN=198\.18\.0\.1, serial 5A3F, EXPIRED 2026-12-04 \(3 days ago\)/,
  );
  assert.match(text, /\n {2}sessions: none$/);
});

Deno.test("monitorEndpoint() reaches a wildcard monitoring address on loopback", () => {
  assert.equal(monitorEndpoint({ address: "0.0.0.0", port: 9090 }).label, "127.0.0.1:9090");
  assert.equal(monitorEndpoint({ address: "::", port: 9090 }).label, "[::1]:9090");
  assert.equal(monitorEndpoint({ address: "10.9.0.1", port: 9100 }).label, "10.9.0.1:9100");
});

Deno.test("readStatus() says in one line that monitoring is off, or that nothing runs", async () => {
  const disabled = await readStatus({
    sourcePath: "/etc/sssonector/sssonector.yaml",
    mode: "server",
    monitoring: { enabled: false, address: "127.0.0.1", port: 9090 },
  });
  assert.deepEqual(disabled, {
    ok: false,
    message: "/etc/sssonector/sssonector.yaml: monitoring is disabled (monitoring.enabled: " +
      "false), and status reads the running process through it: set monitoring.enabled: true " +
      "and restart the tunnel",
  });
  // A port nothing listens on: bind one, note it, close it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const stopped = await readStatus({
    sourcePath: "s.yaml",
    mode: "server",
    monitoring: { enabled: true, address: "127.0.0.1", port },
  });
  assert.deepEqual(stopped, {
    ok: false,
    message: `no sssonector is running for s.yaml: nothing answers on 127.0.0.1:${port} ` +
      "(its monitoring.address and port)",
  });
});

Deno.test("readStatus() tells another program on the port from a sssonector", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("hello", { status: 404 }),
  );
  const result = await readStatus({
    sourcePath: "s.yaml",
    mode: "server",
    monitoring: { enabled: true, address: "127.0.0.1", port: server.addr.port },
  });
  assert.deepEqual(result, {
    ok: false,
    message: `127.0.0.1:${server.addr.port} answers, but not as sssonector's monitor (HTTP 404): ` +
      "another program has the port in s.yaml's monitoring.port",
  });
});

Deno.test("formatStatus() shows each session's sparse lane: up or down, what it carried, its fallbacks", () => {
  const [first] = REPORT.sessions;
  const lane = { up: true, opened: 2, packetsOut: 120, bytesOut: 9600, fallbacks: 3 };
  const text = formatStatus({
    ...REPORT,
    sessions: [
      { ...first!, lane },
      { ...first!, peer: "branch-2", lane: { ...lane, up: false, opened: 1, fallbacks: 1 } },
      { ...first!, peer: "branch-3", lane: { ...lane, up: false, opened: 0 } },
      { ...first!, peer: "branch-4", lane: null },
    ],
  }, NOW);
  const lines = text.split("\n").filter((l) => l.startsWith("  sparse lane:"));
  assert.deepEqual(lines, [
    "  sparse lane: up (opened 2 times), 120 packets, 9.4 KiB sent, " +
    "fell back to the main connection 3 times",
    "  sparse lane: down (opened 1 time), 120 packets, 9.4 KiB sent, " +
    "fell back to the main connection 1 time",
    "  sparse lane: none",
  ]);
});
