/**
 * The original program's test and QA configurations carry keys this one does not have; each is
 * refused in one line that names what does the job here.
 */
import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/errors.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { thrown } from "../lib/thrown.ts";

const SERVER = `mode: server
listen: 0.0.0.0:443
address: 10.0.0.1/24
network:
  mtu: 1500
monitoring:
  enabled: true
security:
  tls:
    cert_file: certs/server.crt
    key_file: certs/server.key
    ca_file: certs/ca.crt
`;

function problems(text: string): string[] {
  return thrown(ConfigError, () => parseConfig(text, "qa.yaml"), "parseConfig").problems
    .map((p) => `${p.path}: ${p.message}`);
}

Deno.test("the original's log_level, metrics and keepalive are named with the keys that replace them", () => {
  assert.deepEqual(
    problems(`log_level: debug\nkeepalive: 30\nmetrics:\n  enabled: true\n${SERVER}`),
    [
      'log_level: unknown key "log_level": the original\'s log_level is logging.level here ' +
      "(debug, info, warning or error)",
      'keepalive: unknown key "keepalive": the original\'s keepalive is ' +
      "network.keepalive_interval here (seconds, default 10)",
      'metrics: unknown key "metrics": the original\'s metrics section is monitoring here ' +
      "(monitoring.enabled, monitoring.address, monitoring.port)",
    ],
  );
});

Deno.test("the original's security.memory_protections, security.namespace and monitoring.interval say what to do", () => {
  const lines = problems(
    SERVER.replace("security:\n", "security:\n  memory_protections: true\n  namespace: true\n")
      .replace("  enabled: true\nsecurity", "  enabled: true\n  interval: 10\nsecurity"),
  );
  assert.equal(lines.length, 3, lines.join("\n"));
  assert.match(
    lines[0]!,
    /^monitoring\.interval: unknown key "interval": .*scrape_interval.*remove the key$/,
  );
  assert.match(
    lines[1]!,
    /^security\.memory_protections: unknown key "memory_protections": .*remove the key$/,
  );
  assert.match(
    lines[2]!,
    /^security\.namespace: unknown key "namespace": .*sssonector\.service.*remove the key$/,
  );
});

Deno.test("other unknown keys keep their did-you-mean and allowed list", () => {
  assert.deepEqual(problems(SERVER.replace("  mtu: 1500", "  mtu: 1500\n  mut: 2")), [
    'network.mut: unknown key "mut" (did you mean "mtu"?)',
  ]);
});
