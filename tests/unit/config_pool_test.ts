import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { netAdminReason } from "../../src/privilege/net_admin.ts";

const TLS = `security:
  tls: { cert_file: s.crt, key_file: s.key, ca_file: ca.crt }
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, "/etc/sss/x.yaml");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

Deno.test("pool: a server key, off by default, refused in a client file with what to do", () => {
  const server = (extra: string) =>
    `mode: server\nlisten: 0.0.0.0:443\naddress: 10.8.0.1/24\n${extra}${TLS}`;
  const plain = parseConfig(server(""), "/etc/sss/s.yaml");
  assert.equal(plain.mode === "server" && plain.pool, false);
  const pooled = parseConfig(server("pool: true\n"), "/etc/sss/s.yaml");
  assert.equal(pooled.mode === "server" && pooled.pool, true);
  assert.match(problems(server("pool: 1\n"))[0]!, /^pool: .*not true or false/);
  assert.deepEqual(
    problems(`mode: client\nserver: [a:443, b:443]\naddress: 10.8.0.10/24\npool: true\n${TLS}`),
    [
      'pool: not allowed in client mode: "pool" is a server key (whether a server announces ' +
      "its clients' routes with freshness metrics, one of a pool); a client lists the servers " +
      "of a pool in server:",
    ],
  );
});

Deno.test("failback: a client key in seconds, 0 (never) by default, refused in a server file", () => {
  const client = (extra: string) =>
    `mode: client\nserver: [a:443, b:443]\naddress: 10.8.0.10/24\n${extra}${TLS}`;
  const plain = parseConfig(client(""), "/etc/sss/c.yaml");
  assert.equal(plain.mode === "client" && plain.failback, 0);
  const set = parseConfig(client("failback: 30\n"), "/etc/sss/c.yaml");
  assert.equal(set.mode === "client" && set.failback, 30);
  assert.match(problems(client("failback: -1\n"))[0]!, /^failback: -1 is below the minimum 0/);
  assert.match(
    problems(`mode: server\nlisten: 0.0.0.0:443\naddress: 10.8.0.1/24\nfailback: 30\n${TLS}`)[0]!,
    /^failback: not allowed in server mode: "failback" is a client key/,
  );
});

Deno.test("security.tls.crl_urls: URLs (one or a list), needs crl_file; crl_refresh bounded", () => {
  const server = (tls: string) =>
    `mode: server\nlisten: 0.0.0.0:443\naddress: 10.8.0.1/24\nsecurity:\n  tls:\n` +
    `    cert_file: s.crt\n    key_file: s.key\n    ca_file: ca.crt\n${tls}`;
  const set = parseConfig(
    server("    crl_file: /var/lib/sss/ca.crl\n    crl_urls: http://10.0.0.1:9090/crl\n"),
    "/etc/sss/s.yaml",
  );
  assert.deepEqual(set.security.tls.crlUrls, ["http://10.0.0.1:9090/crl"]);
  assert.equal(set.security.tls.crlRefresh, 300);
  assert.deepEqual(
    problems(server("    crl_urls: [https://a.example/crl]\n")),
    [
      "security.tls.crl_urls: needs crl_file: the fetched CRL is kept there (in a folder the " +
      "run user can write)",
    ],
  );
  assert.match(
    problems(server("    crl_file: c.crl\n    crl_urls: [ftp://a/crl]\n"))[0]!,
    /^security\.tls\.crl_urls\[0\]: "ftp:\/\/a\/crl" is not an http:\/\/ or https:\/\/ URL/,
  );
  assert.match(
    problems(server("    crl_file: c.crl\n    crl_urls: x\n    crl_refresh: 5\n"))[0]!,
    /crl_urls: "x" is not a URL/,
  );
  assert.match(
    problems(server("    crl_file: c.crl\n    crl_refresh: 5\n"))[0]!,
    /^security\.tls\.crl_refresh: 5 is below the minimum 10/,
  );
});

Deno.test("a pool server keeps CAP_NET_ADMIN for its host routes, even without clients' networks", () => {
  const server = parseConfig(
    `mode: server\nlisten: 0.0.0.0:443\naddress: 10.8.0.1/24\npool: true\n${TLS}`,
    "/etc/sss/s.yaml",
  );
  assert.match(netAdminReason(server)!, /pool: true/);
});
