import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { ipv4Prefix } from "../../src/ip/prefix.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { parseConfig } from "../../src/config/parse.ts";
import type { ConfigProblem } from "../../src/config/errors.ts";
import { thrown } from "../lib/thrown.ts";

const SERVER = `mode: server
listen: 0.0.0.0:443
interface: tun0
address: 10.0.0.1/24
network:
  mtu: 1500
logging:
  level: info
  file: /var/log/sssonector.log
monitoring:
  enabled: true
  port: 9090
security:
  tls:
    enabled: true
    min_version: "1.2"
    cert_file: certs/server.crt
    key_file: certs/server.key
    ca_file: certs/ca.crt
`;

const MINIMAL_CLIENT = `mode: client
server: vpn.example.com:443
address: 10.0.0.2/24
security:
  tls:
    cert_file: certs/client.crt
    key_file: certs/client.key
    ca_file: certs/ca.crt
`;

/** SERVER with `from` replaced by `to`; fails loudly when `from` is not there. */
function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `test setup: ${JSON.stringify(from)} not in the text`);
  return text.replace(from, to);
}

function refused(text: string, sourcePath = "server.yaml"): ConfigError {
  return thrown(ConfigError, () => parseConfig(text, sourcePath), "parseConfig");
}

function onlyProblem(text: string): ConfigProblem {
  const { problems } = refused(text);
  assert.equal(problems.length, 1, `expected one problem, got:\n${refused(text).format()}`);
  return problems[0] as ConfigProblem;
}

Deno.test("parseConfig() reads the seed server example with its values", () => {
  const config = parseConfig(SERVER, "/etc/sssonector/server.yaml");
  assert.equal(config.mode, "server");
  assert.ok(config.mode === "server");
  assert.deepEqual(config.listen, { host: "0.0.0.0", port: 443 });
  assert.deepEqual(config.address, ipv4Prefix("10.0.0.1/24"));
  assert.deepEqual(config.network, {
    mtu: 1500,
    offload: true,
    keepaliveInterval: 10,
    peerTimeout: 35,
    clampMss: true,
  });
  assert.deepEqual(config.logging, {
    level: "info",
    file: "/var/log/sssonector.log",
    format: "text",
  });
  assert.deepEqual(config.monitoring, { enabled: true, address: "127.0.0.1", port: 9090 });
  assert.deepEqual(config.security.tls, {
    enabled: true,
    minVersion: "1.2",
    certFile: "/etc/sssonector/certs/server.crt",
    keyFile: "/etc/sssonector/certs/server.key",
    caFile: "/etc/sssonector/certs/ca.crt",
    crlRefresh: 300,
  });
  assert.equal(config.sourcePath, "/etc/sssonector/server.yaml");
  assert.equal(config.address6, undefined);
  assert.equal(config.registry, undefined);
  assert.deepEqual(
    [config.pushRoutes, config.clientToClient, config.maxClients],
    [[], false, 1000],
  );
});

Deno.test("parseConfig() fills every default a minimal client leaves out", () => {
  const config = parseConfig(MINIMAL_CLIENT, "/srv/client.yaml");
  assert.deepEqual(config, {
    mode: "client",
    server: { host: "vpn.example.com", port: 443 },
    servers: [{ host: "vpn.example.com", port: 443 }],
    serverOrder: "ordered",
    failback: 0,
    routes: [],
    acceptRoutes: true,
    interface: "tun0",
    address: ipv4Prefix("10.0.0.2/24"),
    network: { mtu: 1500, offload: true, keepaliveInterval: 10, peerTimeout: 35, clampMss: true },
    logging: { level: "info", format: "text" },
    monitoring: { enabled: false, address: "127.0.0.1", port: 9090 },
    security: {
      handshakeTimeout: 10,
      maxPendingConnections: 512,
      maxPendingPerSource: 8,
      maxPendingPerNetwork4: 32,
      maxPendingPerNetwork6: 16,
      pendingNetwork4Prefix: 24,
      pendingNetwork6Prefix: 64,
      tls: {
        enabled: true,
        minVersion: "1.2",
        certFile: "/srv/certs/client.crt",
        keyFile: "/srv/certs/client.key",
        caFile: "/srv/certs/ca.crt",
        crlRefresh: 300,
      },
    },
    sourcePath: "/srv/client.yaml",
  });
  assert.ok(!("file" in config.logging), "no log file means standard output");
});

Deno.test("parseConfig() reads monitoring.address and logging.format, and refuses bad ones", () => {
  const config = parseConfig(
    `${MINIMAL_CLIENT}monitoring:\n  address: "::1"\nlogging:\n  format: json\n`,
    "c.yaml",
  );
  assert.equal(config.monitoring.address, "::1");
  assert.equal(config.logging.format, "json");
  assert.match(
    onlyProblem(`${MINIMAL_CLIENT}monitoring:\n  address: localhost\n`).message,
    /"localhost" is not an IP address; expected an IP address, e\.g\. 127\.0\.0\.1/,
  );
  assert.match(
    onlyProblem(`${MINIMAL_CLIENT}logging:\n  format: xml\n`).message,
    /"xml" is not a log format; expected "text" or "json"/,
  );
});

Deno.test("parseConfig() takes empty sections as all defaults", () => {
  const config = parseConfig(`${MINIMAL_CLIENT}network:\nmonitoring:\n`, "c.yaml");
  assert.equal(config.network.mtu, 1500);
  assert.equal(config.monitoring.port, 9090);
});

Deno.test("parseConfig() resolves relative paths against the config file's folder", () => {
  const config = parseConfig(
    edit(SERVER, "file: /var/log/sssonector.log", "file: logs/tunnel.log"),
    "deploy/server.yaml",
  );
  const folder = resolve("deploy");
  assert.equal(config.security.tls.certFile, join(folder, "certs/server.crt"));
  assert.equal(config.security.tls.caFile, join(folder, "certs/ca.crt"));
  assert.equal(config.logging.file, join(folder, "logs/tunnel.log"));
  assert.equal(config.sourcePath, join(folder, "server.yaml"));
  assert.equal(dirname(config.sourcePath), folder);
});

Deno.test("parseConfig() keeps absolute paths as written", () => {
  const config = parseConfig(
    edit(SERVER, "ca_file: certs/ca.crt", "ca_file: /etc/pki/ca.crt"),
    "/x/server.yaml",
  );
  assert.equal(config.security.tls.caFile, "/etc/pki/ca.crt");
});

Deno.test("parseConfig() returns a deeply frozen configuration", () => {
  const config = parseConfig(SERVER, "server.yaml");
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.security.tls));
  assert.ok(config.mode === "server" && Object.isFrozen(config.listen));
  assert.throws(() => {
    (config.network as { mtu: number }).mtu = 9000;
  }, TypeError);
});

Deno.test("parseConfig() accepts the values the seed README allows", () => {
  const cases: [string, string, (text: string) => void][] = [
    [
      "level: info",
      "level: warn",
      (t) => assert.equal(parseConfig(t, "s").logging.level, "warning"),
    ],
    [
      "level: info",
      "level: warning",
      (t) => assert.equal(parseConfig(t, "s").logging.level, "warning"),
    ],
    [
      "level: info",
      "level: debug",
      (t) => assert.equal(parseConfig(t, "s").logging.level, "debug"),
    ],
    [
      'min_version: "1.2"',
      "min_version: 1.3",
      (t) => assert.equal(parseConfig(t, "s").security.tls.minVersion, "1.3"),
    ],
    [
      'min_version: "1.2"',
      "min_version: 1.2",
      (t) => assert.equal(parseConfig(t, "s").security.tls.minVersion, "1.2"),
    ],
    [
      "file: /var/log/sssonector.log",
      "file: stdout",
      (t) => assert.equal(parseConfig(t, "s").logging.file, undefined),
    ],
    ["listen: 0.0.0.0:443", 'listen: "[::]:8443"', (t) => {
      const config = parseConfig(t, "s");
      assert.ok(config.mode === "server");
      assert.deepEqual(config.listen, { host: "::", port: 8443 });
    }],
    [
      "address: 10.0.0.1/24",
      "address: 10.0.0.0/31",
      (t) => assert.deepEqual(parseConfig(t, "s").address, ipv4Prefix("10.0.0.0/31")),
    ],
    [
      "address: 10.0.0.1/24",
      "address: 10.9.9.9/32",
      (t) => assert.equal(parseConfig(t, "s").address.length, 32),
    ],
    [
      "interface: tun0",
      "interface: sss_tun.1-a",
      (t) => assert.equal(parseConfig(t, "s").interface, "sss_tun.1-a"),
    ],
    ["mtu: 1500", "mtu: 576", (t) => assert.equal(parseConfig(t, "s").network.mtu, 576)],
    ["mtu: 1500", "mtu: 65535", (t) => assert.equal(parseConfig(t, "s").network.mtu, 65535)],
  ];
  for (const [from, to, check] of cases) check(edit(SERVER, from, to));
});

Deno.test("parseConfig() refuses an unknown key and suggests the closest one", () => {
  const problem = onlyProblem(
    edit(edit(SERVER, "listen:", "listne:"), "mode: server", "mode: server\nlisten: 0.0.0.0:443"),
  );
  assert.deepEqual(problem, {
    path: "listne",
    line: 3,
    message: 'unknown key "listne" (did you mean "listen"?)',
  });
});

Deno.test("parseConfig() refuses an unknown nested key, listing the allowed ones when none is close", () => {
  const { problems } = refused(
    edit(SERVER, "  mtu: 1500", "  mtu: 1500\n  zebra: true\n  mut: 2"),
  );
  assert.deepEqual(problems.map((p) => [p.path, p.line, p.message]), [
    [
      "network.zebra",
      7,
      'unknown key "zebra"; allowed here: mtu, offload, keepalive_interval, peer_timeout, clamp_mss, congestion_control',
    ],
    ["network.mut", 8, 'unknown key "mut" (did you mean "mtu"?)'],
  ]);
});

Deno.test("parseConfig() reports an out-of-range MTU with its line number", () => {
  const error = refused(edit(SERVER, "mtu: 1500", "mtu: 20"));
  assert.deepEqual(error.problems, [
    { path: "network.mtu", line: 6, message: "20 is below the minimum 576" },
  ]);
  assert.equal(error.format(), "server.yaml: network.mtu (line 6): 20 is below the minimum 576");
  assert.match(
    onlyProblem(edit(SERVER, "mtu: 1500", "mtu: 70000")).message,
    /70000 is above the maximum 65535/,
  );
});

Deno.test("parseConfig() explains a value of the wrong type", () => {
  const cases: [string, string, string, RegExp][] = [
    [
      "mtu: 1500",
      'mtu: "big"',
      "network.mtu",
      /^"big" is not a whole number; expected a whole number from 576 to 65535$/,
    ],
    ["mtu: 1500", "mtu: 1500.5", "network.mtu", /^1500.5 is not a whole number/],
    ["port: 9090", "port: [1, 2]", "monitoring.port", /^a list is not a whole number/],
    [
      "enabled: true\n  port",
      "enabled: yes\n  port",
      "monitoring.enabled",
      /^"yes" is not true or false; expected true or false$/,
    ],
    [
      "network:\n  mtu: 1500",
      "network: 1500",
      "network",
      /^1500 is not a mapping; expected a mapping with the keys mtu, offload, keepalive_interval, peer_timeout, clamp_mss, congestion_control$/,
    ],
    ["listen: 0.0.0.0:443", "listen: 443", "listen", /^443 is not an endpoint; expected HOST:PORT/],
    [
      "address: 10.0.0.1/24",
      "address:",
      "address",
      /^no value given; expected an IPv4 address with its prefix length/,
    ],
  ];
  for (const [from, to, path, message] of cases) {
    const problem = onlyProblem(edit(SERVER, from, to));
    assert.equal(problem.path, path);
    assert.match(problem.message, message);
    assert.equal(typeof problem.line, "number");
  }
});

Deno.test("parseConfig() refuses bad interface addresses, saying why", () => {
  const cases: [string, RegExp][] = [
    [
      "10.0.0.1",
      /^"10.0.0.1" has no prefix length; expected an IPv4 address with its prefix length, e.g. 10.0.0.1\/24$/,
    ],
    ["10.0.0.1/33", /^"10.0.0.1\/33" has prefix length "33"; expected a number from 1 to 32$/],
    ["10.0.0.1/0", /has prefix length "0"/],
    ["10.0.0.256/24", /does not start with an IPv4 address/],
    [
      '"fd00::1/64"',
      /^"fd00::1\/64" is an IPv6 address, and the tunnel needs an IPv4 one too, e\.g\. address: \[10\.0\.0\.1\/24, "fd00::1\/64"\]$/,
    ],
    [
      "10.0.0.0/24",
      /^"10.0.0.0\/24" is the network address of 10.0.0.0\/24; use a host address such as 10.0.0.1\/24$/,
    ],
    ["10.0.0.255/24", /is the broadcast address of 10.0.0.0\/24/],
    ["172.16.3.255/22", /is the broadcast address of 172.16.0.0\/22/],
    ["127.0.0.2/8", /is a loopback address/],
    ["224.0.0.5/24", /is a multicast address/],
  ];
  for (const [address, message] of cases) {
    const problem = onlyProblem(edit(SERVER, "address: 10.0.0.1/24", `address: ${address}`));
    assert.equal(problem.path, "address");
    assert.equal(problem.line, 4);
    assert.match(problem.message, message);
  }
});

Deno.test("parseConfig() refuses bad endpoints, saying why", () => {
  const listen: [string, RegExp][] = [
    ["0.0.0.0", /^"0.0.0.0" has no port; expected HOST:PORT with an IP address/],
    ["0.0.0.0:0", /has port "0"; expected a port number from 1 to 65535/],
    ["0.0.0.0:65536", /has port "65536"/],
    ["0.0.0.0:https", /has port "https"/],
    [":443", /has no host/],
    ["vpn.example.com:443", /has host "vpn.example.com", which is not an IP address/],
    ["::1:443", /needs brackets around an IPv6 address, e.g. "\[::1\]:443"/],
    ['"[10.0.0.1]:443"', /has "10.0.0.1" in brackets, which is not an IPv6 address/],
  ];
  for (const [value, message] of listen) {
    const problem = onlyProblem(edit(SERVER, "listen: 0.0.0.0:443", `listen: ${value}`));
    assert.equal(problem.path, "listen");
    assert.match(problem.message, message);
  }
  const client = (server: string) =>
    edit(MINIMAL_CLIENT, "server: vpn.example.com:443", `server: ${server}`);
  assert.match(
    onlyProblem(client("bad_host!:443")).message,
    /which is not an IP address or a DNS name/,
  );
  assert.match(
    onlyProblem(client("300.1.2.3:443")).message,
    /which is not an IP address or a DNS name/,
  );
  const config = parseConfig(client('"[2001:db8::7]:443"'), "c.yaml");
  assert.ok(config.mode === "client");
  assert.deepEqual(config.server, { host: "2001:db8::7", port: 443 });
});

Deno.test("parseConfig() refuses a bad interface name", () => {
  assert.match(
    onlyProblem(edit(SERVER, "interface: tun0", "interface: a-very-long-tun-name")).message,
    /^"a-very-long-tun-name" has 20 characters; expected 1 to 15 letters, digits/,
  );
  assert.match(
    onlyProblem(edit(SERVER, "interface: tun0", "interface: tun/0")).message,
    /^"tun\/0" is not an interface name/,
  );
});

Deno.test("parseConfig() names each missing required key", () => {
  const { problems } = refused(
    "mode: server\nlisten: 0.0.0.0:443\nsecurity:\n  tls:\n    ca_file: ca.crt\n",
  );
  assert.deepEqual(problems.map((p) => [p.path, p.line]), [
    ["address", undefined],
    ["security.tls.cert_file", 4],
    ["security.tls.key_file", 4],
  ]);
  assert.match(
    problems[0]?.message ?? "",
    /^missing; expected an IPv4 address with its prefix length/,
  );
  const mode = onlyProblem(SERVER.replace("mode: server\n", "# no mode\n"));
  assert.deepEqual(mode, { path: "mode", message: 'missing; expected "server" or "client"' });
});

Deno.test("parseConfig() refuses an unknown mode with a suggestion", () => {
  const problem = onlyProblem(edit(SERVER, "mode: server", "mode: sever"));
  assert.deepEqual(problem, {
    path: "mode",
    line: 1,
    message: '"sever" is not a mode (did you mean "server"?); expected "server" or "client"',
  });
});

Deno.test("parseConfig() requires listen on a server and server on a client, naming the mode", () => {
  const noListen = onlyProblem(edit(SERVER, "listen: 0.0.0.0:443\n", ""));
  assert.equal(noListen.path, "listen");
  assert.match(noListen.message, /^missing; a server needs the address to accept clients on/);

  const noServer = onlyProblem(edit(MINIMAL_CLIENT, "server: vpn.example.com:443\n", ""));
  assert.equal(noServer.path, "server");
  assert.match(noServer.message, /^missing; a client needs the server to connect to/);

  const serverKeyOnServer = onlyProblem(
    edit(SERVER, "mode: server", "mode: server\nserver: 10.1.1.1:443"),
  );
  assert.deepEqual([serverKeyOnServer.path, serverKeyOnServer.line], ["server", 2]);
  assert.match(serverKeyOnServer.message, /^not allowed in server mode/);

  const listenOnClient = onlyProblem(
    edit(MINIMAL_CLIENT, "mode: client", "mode: client\nlisten: nonsense"),
  );
  assert.deepEqual([listenOnClient.path, listenOnClient.line], ["listen", 2]);
  assert.equal(
    listenOnClient.message,
    'not allowed in client mode: "listen" is a server key (the address a server accepts clients on); a client uses server: HOST:PORT',
  );
});

Deno.test("parseConfig() refuses tls.enabled: false and explains why", () => {
  const problem = onlyProblem(edit(SERVER, "    enabled: true", "    enabled: false"));
  assert.deepEqual(problem, {
    path: "security.tls.enabled",
    line: 15,
    message:
      "false is refused: SSSonector never carries traffic in clear; remove the key or set it to true",
  });
});

Deno.test("parseConfig() refuses TLS versions other than 1.2 and 1.3", () => {
  const cases: [string, string][] = [
    ['"1.1"', '"1.1" is refused: TLS 1.1 and older are insecure; expected "1.2" or "1.3"'],
    ["1.0", '1 is refused: TLS 1.1 and older are insecure; expected "1.2" or "1.3"'],
    ['"TLS1.3"', '"TLS1.3" is not a TLS version; expected "1.2" or "1.3"'],
    ["true", 'true is not a TLS version; expected "1.2" or "1.3"'],
  ];
  for (const [value, message] of cases) {
    const problem = onlyProblem(edit(SERVER, 'min_version: "1.2"', `min_version: ${value}`));
    assert.deepEqual([problem.path, problem.line, problem.message], [
      "security.tls.min_version",
      16,
      message,
    ]);
  }
});

Deno.test("parseConfig() refuses an unknown log level with a suggestion", () => {
  const problem = onlyProblem(edit(SERVER, "level: info", "level: eror"));
  assert.deepEqual([problem.path, problem.line], ["logging.level", 8]);
  assert.equal(
    problem.message,
    '"eror" is not a log level (did you mean "error"?); expected "debug", "info", "warning" or "error"',
  );
});

Deno.test("parseConfig() reports a YAML syntax error with line and column", () => {
  const error = refused(edit(SERVER, "  mtu: 1500", "  mtu: 1500\n bad: indent"));
  const problem = error.problems[0];
  assert.ok(problem !== undefined);
  assert.equal(problem.line, 7);
  assert.equal(typeof problem.column, "number");
  assert.match(problem.message, /^YAML syntax error: /);
  assert.match(error.format(), /^server\.yaml \(line 7, column \d+\): YAML syntax error: /);
});

Deno.test("parseConfig() hints that an IPv6 endpoint must be quoted in YAML", () => {
  const error = refused(edit(SERVER, "listen: 0.0.0.0:443", "listen: [::]:443"));
  assert.equal(error.problems[0]?.line, 2);
  assert.match(error.format(), /a value starting with "\[" must be quoted, e\.g\. "\[::\]:443"/);
});

Deno.test("parseConfig() reports a duplicated key as a syntax error", () => {
  const problem =
    refused(edit(SERVER, "interface: tun0", "interface: tun0\ninterface: tun1")).problems[0];
  assert.equal(problem?.line, 4);
  assert.match(problem?.message ?? "", /unique/);
});

Deno.test("parseConfig() refuses an empty file and a file that is not a mapping", () => {
  assert.match(onlyProblem("").message, /^the file is empty; expected a mapping/);
  assert.match(onlyProblem("# only a comment\n").message, /^the file is empty/);
  assert.match(
    onlyProblem("- mode: server\n").message,
    /^the file holds a list; expected a mapping/,
  );
  assert.match(onlyProblem("just words\n").message, /^the file holds "just words"/);
});

Deno.test("parseConfig() reports every problem at once, in file order, one line each", () => {
  const text = edit(
    edit(
      edit(edit(SERVER, "listen: 0.0.0.0:443", "listen: 0.0.0.0:99999"), "mtu: 1500", "mtu: big"),
      "level: info",
      "level: loud",
    ),
    'min_version: "1.2"',
    "min_version: 1.1",
  ) + "extra: 1\n";
  const error = refused(text, "configs/server.yaml");
  assert.deepEqual(error.problems.map((p) => p.path), [
    "listen",
    "network.mtu",
    "logging.level",
    "security.tls.min_version",
    "extra",
  ]);
  const lines = error.format().split("\n");
  assert.equal(lines.length, 5);
  assert.match(
    lines[0] ?? "",
    /^configs\/server\.yaml: listen \(line 2\): "0\.0\.0\.0:99999" has port "99999"/,
  );
  assert.match(lines[4] ?? "", /^configs\/server\.yaml: extra \(line 20\): unknown key "extra"/);
  assert.equal(error.message, error.format());
  assert.ok(!/ZodError|invalid_type|Invalid input/.test(error.format()), "no zod wording");
});
