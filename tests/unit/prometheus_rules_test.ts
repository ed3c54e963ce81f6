/**
 * The shipped Prometheus files under promtool: the configuration and rules are valid, and the
 * rules' unit tests (tests/fixtures/prometheus/rules_test.yml) pass: a healthy host without a CRL
 * fires nothing, an expiring certificate and a due CRL fire with the right labels. The live
 * counterpart is tests/e2e/prometheus_test.ts.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const hasPromtool = (await new Deno.Command("sh", { args: ["-c", "command -v promtool"] }).output())
  .success;

async function promtool(...args: string[]) {
  const out = await new Deno.Command("promtool", { args, cwd: ROOT, stdin: "null" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { ok: out.success, text };
}

Deno.test({
  name: "the shipped prometheus.yml and rules pass promtool check and the rules' unit tests",
  ignore: !hasPromtool,
  async fn() {
    const config = await promtool("check", "config", "docs/prometheus.yml");
    assert.ok(config.ok, config.text);
    const rules = await promtool("check", "rules", "docs/prometheus-rules.yml");
    assert.ok(rules.ok, rules.text);
    const tested = await promtool("test", "rules", "tests/fixtures/prometheus/rules_test.yml");
    assert.ok(tested.ok, tested.text);
  },
});
