/**
 * The shipped Prometheus files under a real Prometheus (Debian's) scraping a live server and
 * client in the namespace lab: for two minutes a healthy install (a year's certificates, no CRL)
 * has no alert, pending or firing, and every query of the shipped Grafana dashboard answers (the
 * certificate panel with each host's own certificate apart from its CA); then the client starts
 * with a certificate that ends in ten days and the expiry alert fires naming that certificate, its
 * subject and the client's role.
 *
 * The test's copy of docs/prometheus.yml changes only the global scrape and evaluation
 * intervals (15 s to 2 s, so two minutes hold 60 evaluations) and the targets; the rules file is
 * the shipped one, byte for byte. Needs root and /usr/bin/prometheus; skipped otherwise.
 * Takes about 2.5 minutes.
 */

import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { generateCertificates } from "../../src/pki/generate.ts";
import { E2eLab, SERVER_TUNNEL_IP, shareKeysWithRunGroup } from "../lib/e2e_lab.ts";
import { enableMonitoring, MONITOR_PORT } from "../lib/monitor_lab.ts";
import { pollUntil } from "../lib/poll.ts";

let prometheus = false;
try {
  prometheus = Deno.statSync("/usr/bin/prometheus").isFile;
} catch {
  // not installed
}
const ignore = Deno.uid() !== 0 || !prometheus;
const DOCS = new URL("../../docs/", import.meta.url).pathname;
/** Where the test's Prometheus answers, inside the client namespace. */
const PROMETHEUS = "127.0.0.1:19190";
const HEALTHY_MS = 120_000;

interface Alert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: "pending" | "firing";
}

/** The shipped prometheus.yml with 2 s global intervals and the lab's two targets. */
async function testConfig(server: string, client: string): Promise<string> {
  const config = parse(await Deno.readTextFile(`${DOCS}prometheus.yml`)) as {
    global: Record<string, string>;
    scrape_configs: { static_configs: { targets: string[]; labels: { role: string } }[] }[];
  };
  config.global.scrape_interval = "2s";
  config.global.scrape_timeout = "2s";
  config.global.evaluation_interval = "2s";
  const [job] = config.scrape_configs;
  assert.ok(job !== undefined);
  for (const group of job.static_configs) {
    group.targets = [group.labels.role === "server" ? server : client];
  }
  return stringify(config);
}

Deno.test({
  name:
    "the shipped alert rules are silent on a healthy server and client, and name an expiring certificate",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("prom");
    // A default install: certificates for a year (the lab's own last a day), no crl_file.
    const certDir = `${lab.dir}/certs-year`;
    await generateCertificates({
      certDir,
      serverIp: lab.server.ip,
      serverNames: [],
      clientName: "client",
      days: 365,
      keyType: "ecdsa-p256",
      force: false,
    });
    await shareKeysWithRunGroup(certDir);
    const configs = await lab.configs({ certDir });
    // Prometheus runs in the client namespace and reaches the server over the underlay.
    await enableMonitoring(configs.serverConfig, lab.server.ip);
    await enableMonitoring(configs.clientConfig, lab.client.ip);
    await lab.startServer(configs);
    let client = await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);

    const promDir = `${lab.dir}/prometheus`;
    await Deno.mkdir(promDir);
    const serverTarget = `${lab.server.ip}:${MONITOR_PORT}`;
    const clientTarget = `${lab.client.ip}:${MONITOR_PORT}`;
    await Deno.writeTextFile(
      `${promDir}/prometheus.yml`,
      await testConfig(serverTarget, clientTarget),
    );
    await Deno.copyFile(`${DOCS}prometheus-rules.yml`, `${promDir}/prometheus-rules.yml`);
    const child = lab.net.spawn(lab.client, "prometheus", [
      `--config.file=${promDir}/prometheus.yml`,
      `--storage.tsdb.path=${promDir}/data`,
      `--web.listen-address=${PROMETHEUS}`,
      "--log.level=warn",
    ], { stderr: "piped" });
    const promLog = new Response(child.stderr).text();

    const api = async (path: string) => {
      const result = await lab.net.try(lab.client, "curl", [
        "-s",
        "-m",
        "5",
        `http://${PROMETHEUS}${path}`,
      ]);
      if (result.code !== 0 || !result.stdout.startsWith("{")) return undefined;
      return JSON.parse(result.stdout).data;
    };
    const alerts = async (): Promise<Alert[]> => (await api("/api/v1/alerts"))?.alerts ?? [];

    try {
      // Both targets scraped and healthy.
      await pollUntil(
        async () => {
          const targets = (await api("/api/v1/targets"))?.activeTargets as
            | { health: string; scrapeUrl: string }[]
            | undefined;
          return targets?.length === 2 && targets.every((target) => target.health === "up");
        },
        "Prometheus scrapes the server and the client",
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      // Every series keeps its own labels: the target's role beside the metric's certificate.
      const own = await api(
        encodeURI("/api/v1/query?query=sssonector_certificate_expiry_timestamp_seconds"),
      );
      const labels = (own.result as { metric: Record<string, string> }[]).map((r) => r.metric);
      assert.equal(labels.length, 4, JSON.stringify(labels));
      assert.ok(labels.every((l) => l.exported_role === undefined), JSON.stringify(labels));
      assert.deepEqual(
        labels.map((l) => `${l.role} ${l.certificate}`).sort(),
        ["client ca", "client own", "server ca", "server own"],
      );

      // Two minutes: no alert, not even pending; the rules are evaluated all along.
      const start = Date.now();
      while (Date.now() - start < HEALTHY_MS) {
        const now = await alerts();
        assert.deepEqual(now, [], `alerts on a healthy install: ${JSON.stringify(now)}`);
        await new Promise((resolve) => setTimeout(resolve, 5000));
      }
      const groups = (await api("/api/v1/rules")).groups as {
        rules: { name: string; health: string; lastError?: string }[];
      }[];
      const rules = groups.flatMap((group) => group.rules);
      assert.equal(rules.length, 6);
      assert.ok(rules.every((rule) => rule.health === "ok"), JSON.stringify(rules));

      // Every query of the shipped Grafana dashboard runs on this Prometheus, and the certificate
      // panel keeps each host's own certificate apart from its CA (it merged them before).
      const dashboard = JSON.parse(await Deno.readTextFile(`${DOCS}grafana-dashboard.json`)) as {
        panels: { title: string; targets?: { expr: string }[] }[];
      };
      for (const panel of dashboard.panels) {
        for (const { expr } of panel.targets ?? []) {
          const query = expr.replaceAll("$instance", ".*").replaceAll("$job", "sssonector")
            .replaceAll("$__rate_interval", "1m");
          const answer = await api(`/api/v1/query?query=${encodeURIComponent(query)}`);
          assert.ok(answer !== undefined, `${panel.title}: ${query} failed`);
          if (query.includes("certificate_expiry")) {
            const series = (answer.result as { metric: Record<string, string> }[])
              .map((r) => `${r.metric.instance} ${r.metric.certificate}`).sort();
            assert.deepEqual(
              series,
              [
                `${clientTarget} ca`,
                `${clientTarget} own`,
                `${serverTarget} ca`,
                `${serverTarget} own`,
              ].sort(),
            );
          }
        }
      }

      // The client comes back with a certificate that ends in ten days.
      await generateCertificates({
        certDir,
        serverNames: [],
        clientName: "branch",
        days: 10,
        keyType: "ecdsa-p256",
        force: false,
      });
      await shareKeysWithRunGroup(certDir);
      await client.stop();
      const text = await Deno.readTextFile(configs.clientConfig);
      await Deno.writeTextFile(
        configs.clientConfig,
        text.replaceAll(`${certDir}/client.`, `${certDir}/branch.`),
      );
      client = await lab.startClient(configs);
      let firing: Alert[] = [];
      await pollUntil(
        async () => {
          firing = (await alerts()).filter((alert) => alert.state === "firing");
          return firing.length > 0;
        },
        "the expiry alert fires",
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      assert.equal(firing.length, 1, JSON.stringify(firing));
      const [alert] = firing;
      assert.equal(alert!.labels.alertname, "SssonectorCertificateExpiresSoon");
      assert.equal(alert!.labels.certificate, "own");
      assert.equal(alert!.labels.subject, "CN=branch");
      assert.equal(alert!.labels.role, "client");
      assert.equal(alert!.labels.instance, clientTarget);
      assert.match(
        alert!.annotations.summary!,
        /^own certificate CN=branch \(serial [0-9A-F]+\) on 198\.18\.0\.2:9090 expires within 14 days; --renew it and SIGHUP$/,
      );
    } finally {
      await lab.net.stop(child, 5000);
      const log = await promLog;
      assert.doesNotMatch(log, /level=error/, log);
    }
  },
});
