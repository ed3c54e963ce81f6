/**
 * docs/reference/metrics.md names every metric a running monitor serves on /metrics (and no
 * sssonector_ metric that it does not), so the reference cannot drift from the code.
 */
import assert from "node:assert/strict";
import { CounterRegistry } from "../../src/counters/registry.ts";
import { CertificateStore } from "../../src/pki/certificate_store.ts";
import { Monitor } from "../../src/monitor/monitor.ts";
import { MonitorSource } from "../../src/monitor/source.ts";
import { TempCertificates } from "../lib/e2e_lab.ts";

const PAGE = new URL("../../docs/reference/metrics.md", import.meta.url);

/** The metric families /metrics declares (`# TYPE name kind`), for a server and a client. */
async function servedMetrics(): Promise<Set<string>> {
  await using temp = await TempCertificates.create();
  const dir = temp.certDir;
  const names = new Set<string>();
  for (const mode of ["server", "client"] as const) {
    const certificates = await CertificateStore.load({
      enabled: true,
      minVersion: "1.2",
      certFile: `${dir}/${mode}.crt`,
      keyFile: `${dir}/${mode}.key`,
      caFile: `${dir}/ca.crt`,
    }, mode);
    const source = new MonitorSource({ mode, counters: new CounterRegistry(), certificates });
    const monitor = Monitor.start({ address: "127.0.0.1", port: 0 }, source, {
      build: { version: "9.9.9", deno: Deno.version.deno, commit: "abc123" },
    });
    try {
      const text = await (await fetch(`http://127.0.0.1:${monitor.port}/metrics`)).text();
      for (const line of text.split("\n")) {
        if (line.startsWith("# TYPE ")) names.add(line.split(" ")[2]!);
      }
    } finally {
      await monitor.close();
    }
  }
  return names;
}

Deno.test("the metrics reference names every metric /metrics serves, and no other", async () => {
  const page = await Deno.readTextFile(PAGE);
  const served = await servedMetrics();
  assert.ok(served.size > 20, `only ${served.size} metrics served`);
  const missing = [...served].filter((name) =>
    name.startsWith("nodejs_") ? !page.includes("`nodejs_*`") : !page.includes(`\`${name}\``)
  );
  assert.deepEqual(missing, [], "add them to docs/reference/metrics.md");
  const named = new Set(page.match(/\bsssonector_[a-z_]+/g) ?? []);
  const unknown = [...named].filter((name) => !served.has(name));
  assert.deepEqual(unknown, [], "docs/reference/metrics.md names metrics nobody serves");
});
