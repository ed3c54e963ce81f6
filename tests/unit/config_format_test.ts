import assert from "node:assert/strict";
import fc from "fast-check";
import { formatEffectiveConfig, parseConfig } from "../../src/config/mod.ts";
import type { Config } from "../../src/config/mod.ts";

const MINIMAL_SERVER = `mode: server
listen: 0.0.0.0:443
address: 10.0.0.1/24
security:
  tls:
    cert_file: certs/server.crt
    key_file: certs/server.key
    ca_file: certs/ca.crt
`;

Deno.test("formatEffectiveConfig() writes every default with the file's key names", () => {
  const text = formatEffectiveConfig(parseConfig(MINIMAL_SERVER, "/etc/sss/server.yaml"));
  assert.equal(
    text,
    `# Effective configuration of /etc/sss/server.yaml, defaults filled in

mode: server
listen: 0.0.0.0:443
interface: tun0
address: 10.0.0.1/24
network:
  mtu: 1500
  offload: true
  keepalive_interval: 10
  peer_timeout: 35
logging:
  level: info
  format: text
  file: stdout
monitoring:
  enabled: false
  address: 127.0.0.1
  port: 9090
security:
  handshake_timeout: 10
  max_pending_connections: 512
  max_pending_per_source: 8
  tls:
    enabled: true
    min_version: "1.2"
    cert_file: /etc/sss/certs/server.crt
    key_file: /etc/sss/certs/server.key
    ca_file: /etc/sss/certs/ca.crt
`,
  );
});

Deno.test("formatEffectiveConfig() output parses back to an equal configuration", () => {
  const client = parseConfig(
    `mode: client
server: "[2001:db8::1]:8443"
interface: sss0
address: 192.168.50.2/30
network: { mtu: 9000 }
logging: { level: warn, file: /var/log/sss.log }
monitoring: { enabled: true, port: 9191 }
security:
  tls: { min_version: 1.3, cert_file: a.crt, key_file: a.key, ca_file: ca.crt }
`,
    "/srv/client.yaml",
  );
  assert.deepEqual(parseConfig(formatEffectiveConfig(client), "/srv/client.yaml"), client);
});

const octet = fc.integer({ min: 0, max: 255 });
const hostAddress = fc.tuple(
  fc.integer({ min: 1, max: 126 }),
  octet,
  octet,
  fc.integer({ min: 1, max: 254 }),
)
  .map((parts) => parts.join("."));

const configText = fc.record({
  mode: fc.constantFrom("server", "client"),
  host: fc.oneof(hostAddress, fc.constantFrom("::", "::1", "2001:db8::5")),
  port: fc.integer({ min: 1, max: 65535 }),
  iface: fc.stringMatching(/^[A-Za-z0-9_-]{1,15}$/),
  address: hostAddress,
  mtu: fc.integer({ min: 576, max: 65535 }),
  level: fc.constantFrom("debug", "info", "warn", "warning", "error"),
  file: fc.option(fc.constantFrom("stdout", "log/x.log", "/var/log/y.log"), { nil: undefined }),
  monitoring: fc.boolean(),
  monitoringPort: fc.integer({ min: 1, max: 65535 }),
  tls: fc.constantFrom('"1.2"', '"1.3"', "1.2", "1.3"),
}).map((v) => {
  const host = v.host.includes(":") ? `"[${v.host}]:${v.port}"` : `${v.host}:${v.port}`;
  return [
    `mode: ${v.mode}`,
    `${v.mode === "server" ? "listen" : "server"}: ${host}`,
    `interface: "${v.iface}"`,
    `address: ${v.address}/24`,
    `network:\n  mtu: ${v.mtu}`,
    `logging:\n  level: ${v.level}${v.file === undefined ? "" : `\n  file: ${v.file}`}`,
    `monitoring:\n  enabled: ${v.monitoring}\n  port: ${v.monitoringPort}`,
    `security:\n  tls:\n    min_version: ${v.tls}\n    cert_file: c.crt\n    key_file: c.key\n    ca_file: ca.crt`,
    "",
  ].join("\n");
});

Deno.test("formatEffectiveConfig() round-trips any valid configuration through parseConfig()", () => {
  fc.assert(
    fc.property(configText, (text) => {
      let config: Config;
      try {
        config = parseConfig(text, "/cfg/sss.yaml");
      } catch {
        return fc.pre(false); // e.g. a generated network or broadcast address
      }
      assert.deepEqual(parseConfig(formatEffectiveConfig(config), "/cfg/sss.yaml"), config);
    }),
    { numRuns: 200 },
  );
});
