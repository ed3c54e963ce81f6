import assert from "node:assert/strict";
import fc from "fast-check";
import { formatEffectiveConfig } from "../../src/config/format.ts";
import { parseConfig } from "../../src/config/parse.ts";
import type { Config } from "../../src/config/types.ts";

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
max_clients: 1000
client_to_client: false
push_routes: []
network:
  mtu: 1500
  offload: true
  keepalive_interval: 10
  peer_timeout: 35
  clamp_mss: true
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

Deno.test("formatEffectiveConfig() writes the routed-network keys back as the file has them", () => {
  const server = parseConfig(
    `${MINIMAL_SERVER.replace("address: 10.0.0.1/24", 'address: [10.0.0.1/24, "fd00:5::1/64"]')}
clients:
  - name: web1
    address: [10.0.0.11, "fd00:5::11"]
    routes: [192.168.10.0/24, "fd00:10::/64"]
  - name: db
    address: 10.0.0.12/32
  - name: old-laptop
    allow: false
unlisted: allow
push_routes: [192.168.1.0/24]
client_to_client: true
max_clients: 50
network: { clamp_mss: false }
`,
    "/etc/sss/server.yaml",
  );
  const text = formatEffectiveConfig(server);
  assert.match(text, /\naddress:\n {2}- 10\.0\.0\.1\/24\n {2}- fd00:5::1\/64\n/);
  assert.match(
    text,
    /\n {2}- name: db\n {4}allow: true\n {4}address: 10\.0\.0\.12\n {4}routes: \[\]\n/,
  );
  assert.match(text, /\nunlisted: allow\n/);
  assert.match(text, /\n {2}clamp_mss: false\n/);
  assert.deepEqual(parseConfig(text, "/etc/sss/server.yaml"), server);

  const client = parseConfig(
    `mode: client
server: [vpn1.example.com:443, "[2001:db8::1]:443"]
server_order: shuffled
address: 10.0.0.2/24
routes: [192.168.1.0/24]
accept_routes: false
security:
  tls: { cert_file: a.crt, key_file: a.key, ca_file: ca.crt }
`,
    "/srv/client.yaml",
  );
  const clientText = formatEffectiveConfig(client);
  assert.match(
    clientText,
    /\nserver:\n {2}- vpn1\.example\.com:443\n {2}- "\[2001:db8::1\]:443"\n/,
  );
  assert.deepEqual(parseConfig(clientText, "/srv/client.yaml"), client);
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
  address6: fc.option(fc.integer({ min: 1, max: 0xffff }), { nil: undefined }),
  servers: fc.integer({ min: 1, max: 3 }),
  routes: fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }),
  flag: fc.boolean(),
  clients: fc.option(
    fc.uniqueArray(fc.integer({ min: 2, max: 254 }), { minLength: 1, maxLength: 4 }),
    { nil: undefined },
  ),
}).map((v) => {
  const host = v.host.includes(":") ? `"[${v.host}]:${v.port}"` : `${v.host}:${v.port}`;
  const net = v.address.split(".").slice(0, 3).join(".");
  const v6 = v.address6?.toString(16);
  // 172.16.x.0/24: outside the generated tunnel networks (first octet 1..126).
  const routes = `[${v.routes.map((third) => `172.16.${third}.0/24`).join(", ")}]`;
  const modeKeys = v.mode === "server"
    ? [
      `listen: ${host}`,
      `push_routes: ${routes}`,
      `client_to_client: ${v.flag}`,
      ...(v.clients === undefined ? [] : [
        "clients:",
        ...v.clients.map((last, i) =>
          `  - name: c${i}\n    address: ${
            v6 === undefined ? `${net}.${last}` : `[${net}.${last}, "fd00:${v6}::${last}"]`
          }\n    allow: ${i % 2 === 0}`
        ),
        `unlisted: ${v.flag ? "allow" : "refuse"}`,
      ]),
    ]
    : [
      `server: [${Array.from({ length: v.servers }, (_, i) => `s${i}.example.com:${v.port}`)}]`,
      `routes: ${routes}`,
      `accept_routes: ${v.flag}`,
      `server_order: ${v.flag ? "shuffled" : "ordered"}`,
    ];
  return [
    `mode: ${v.mode}`,
    ...modeKeys,
    `interface: "${v.iface}"`,
    v6 === undefined
      ? `address: ${v.address}/24`
      : `address: [${v.address}/24, "fd00:${v6}::1/64"]`,
    `network:\n  mtu: ${v.mtu}`,
    `logging:\n  level: ${v.level}${v.file === undefined ? "" : `\n  file: ${v.file}`}`,
    `monitoring:\n  enabled: ${v.monitoring}\n  port: ${v.monitoringPort}`,
    `security:\n  tls:\n    min_version: ${v.tls}\n    cert_file: c.crt\n    key_file: c.key\n    ca_file: ca.crt`,
    "",
  ].join("\n");
});

Deno.test("formatEffectiveConfig() round-trips any valid configuration through parseConfig()", () => {
  let registries = 0;
  let clients = 0;
  fc.assert(
    fc.property(configText, (text) => {
      let config: Config;
      try {
        config = parseConfig(text, "/cfg/sss.yaml");
      } catch {
        return fc.pre(false); // e.g. a generated network or broadcast address
      }
      if (config.mode === "server" && config.registry !== undefined) registries++;
      if (config.mode === "client" && config.servers.length > 1) clients++;
      assert.deepEqual(parseConfig(formatEffectiveConfig(config), "/cfg/sss.yaml"), config);
    }),
    { numRuns: 200 },
  );
  // The generator reaches the routed keys, not only configurations the precondition let through.
  assert.ok(registries > 10 && clients > 10, `registries ${registries}, server lists ${clients}`);
});
