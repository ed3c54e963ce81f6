import assert from "node:assert/strict";
import { CounterRegistry } from "../../src/counters/registry.ts";
import { emptyTraffic } from "../../src/counters/counters.ts";
import { MonitorSource, type Readiness } from "../../src/monitor/source.ts";
import { keepServiceManagerTold, serviceStatusLine } from "../../src/monitor/service_status.ts";
import { Notifier } from "../../src/runtime/notify.ts";
import type { CertificateState } from "../../src/pki/certificate_store.ts";

function setup(mode: "server" | "client") {
  const counters = new CounterRegistry();
  const source = new MonitorSource({
    mode,
    counters,
    certificates: { state: () => ({}) as CertificateState },
  });
  let readiness: Readiness = { ready: false, reason: "not connected to vpn:443 yet" };
  source.attach({ offload: false, readiness: () => readiness });
  const sent: string[] = [];
  const notifier = new Notifier({ socket: "/run/x", send: (_s, m) => (sent.push(m), 0) });
  return {
    counters,
    source,
    sent,
    notifier,
    set: (next: Readiness) => (readiness = next),
  };
}

Deno.test("a client tells READY=1 only with its first session, and STATUS= when the line changes", async () => {
  const t = setup("client");
  using _told = keepServiceManagerTold(t.notifier, t.source);
  assert.deepEqual(t.sent, ["STATUS=not connected to vpn:443 yet"]);
  t.set({ ready: true, reason: "connected to vpn:443" });
  await new Promise((resolve) => setTimeout(resolve, 600));
  t.set({ ready: false, reason: "not connected to vpn:443: reset" });
  await new Promise((resolve) => setTimeout(resolve, 600));
  t.set({ ready: true, reason: "connected to vpn:443" });
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.deepEqual(t.sent, [
    "STATUS=not connected to vpn:443 yet",
    "READY=1\nSTATUS=connected to vpn:443",
    "STATUS=not connected to vpn:443: reset",
    "STATUS=connected to vpn:443",
  ]);
});

Deno.test("a server's status line counts its sessions", () => {
  const t = setup("server");
  t.set({ ready: true, reason: "listening on 0.0.0.0:443" });
  assert.equal(serviceStatusLine(t.source), "listening on 0.0.0.0:443; 0 sessions");
  t.counters.track("web2", () => ({
    peerName: "web2",
    tunnelAddress: "10.0.0.2",
    remote: "192.0.2.7:5000",
    since: 0,
    rttMs: undefined,
    queuedBytes: 0,
    traffic: emptyTraffic(),
  }));
  assert.equal(serviceStatusLine(t.source), "listening on 0.0.0.0:443; 1 session");
});
