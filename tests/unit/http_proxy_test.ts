import assert from "node:assert/strict";
import {
  bypassesProxy,
  connectRequest,
  openProxyTunnel,
  parseStatusLine,
  ProxyError,
  refusalLine,
} from "../../src/transport/http_proxy.ts";
import { parseConfig } from "../../src/config/parse.ts";

Deno.test("connectRequest() asks for host:port with Basic credentials when given", () => {
  assert.equal(
    connectRequest({ host: "vpn.example.com", port: 443 }),
    "CONNECT vpn.example.com:443 HTTP/1.1\r\nHost: vpn.example.com:443\r\n\r\n",
  );
  assert.match(
    connectRequest({ host: "2001:db8::1", port: 443 }, { user: "ann", password: "s3cret" }),
    /^CONNECT \[2001:db8::1\]:443 HTTP\/1\.1\r\n.*Proxy-Authorization: Basic YW5uOnMzY3JldA==\r\n\r\n$/s,
  );
});

Deno.test("refusalLine() says what a 407, a 403 and any other refusal mean", () => {
  const target = { host: "vpn.example.com", port: 8443 };
  assert.equal(
    refusalLine(
      "proxy:3128",
      target,
      parseStatusLine("HTTP/1.1 407 Proxy Authentication Required\r\n")!,
      undefined,
    ),
    "the proxy proxy:3128 requires credentials (407 Proxy Authentication Required); set " +
      "proxy.credentials_file",
  );
  assert.match(
    refusalLine("proxy:3128", target, { code: 407, reason: "" }, "/etc/p.cred"),
    /refused the credentials in \/etc\/p\.cred \(407\); check them/,
  );
  assert.match(
    refusalLine("proxy:3128", target, { code: 401, reason: "Unauthorized" }, "/etc/p.cred"),
    /refused the credentials in \/etc\/p\.cred \(401 Unauthorized\)/,
  );
  assert.match(
    refusalLine("proxy:3128", target, { code: 403, reason: "Forbidden" }, undefined),
    /does not allow CONNECT to vpn\.example\.com:8443 \(403 Forbidden\); .*port 443/,
  );
  assert.equal(parseStatusLine("SSH-2.0-OpenSSH\r\n"), undefined);
});

Deno.test("bypassesProxy() follows no_proxy: exact names, suffixes and addresses", () => {
  const rules = ["*.corp.example", ".lan", "192.0.2.7"];
  assert.equal(bypassesProxy("vpn.corp.example", rules), true);
  assert.equal(bypassesProxy("lan", rules), true);
  assert.equal(bypassesProxy("gw.lan", rules), true);
  assert.equal(bypassesProxy("192.0.2.7", rules), true);
  assert.equal(bypassesProxy("vpn.example.com", rules), false);
  assert.equal(bypassesProxy("anything", ["*"]), true);
});

Deno.test("openProxyTunnel() gives up on a proxy that never answers, in one line", async () => {
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  try {
    await assert.rejects(
      openProxyTunnel(
        { url: `http://127.0.0.1:${silent.addr.port}`, noProxy: [] },
        { host: "198.51.100.1", port: 443 },
        { timeoutMs: 300 },
      ),
      (error: Error) =>
        error instanceof ProxyError &&
        error.message === `the proxy 127.0.0.1:${silent.addr.port} did not answer within 300 ms`,
    );
  } finally {
    silent.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("the client's proxy section: url, credentials_file and no_proxy; refused on a server", () => {
  const tls = "security:\n  tls:\n    enabled: true\n    cert_file: c.crt\n    key_file: c.key\n" +
    "    ca_file: ca.crt\n";
  const base = "mode: client\nserver: 192.0.2.1:443\naddress: 10.0.0.2/24\n" + tls;
  const config = parseConfig(
    base + "proxy:\n  url: http://proxy.example:3128\n  credentials_file: /etc/p.cred\n" +
      "  no_proxy: ['*.corp.example']\n",
    "/etc/sssonector/client.yaml",
  );
  assert.equal(config.mode, "client");
  assert.deepEqual(config.mode === "client" ? config.proxy : undefined, {
    url: "http://proxy.example:3128",
    credentialsFile: "/etc/p.cred",
    noProxy: ["*.corp.example"],
  });
  assert.throws(
    () => parseConfig(base + "proxy:\n  url: http://ann:pw@proxy.example:3128\n", "/etc/c.yaml"),
    /credentials go in proxy\.credentials_file/,
  );
  assert.throws(
    () =>
      parseConfig(
        "mode: server\nlisten: 0.0.0.0:443\naddress: 10.0.0.1/24\n" + tls +
          "proxy:\n  url: http://p:3128\n",
        "/etc/s.yaml",
      ),
    /"proxy" is a client key/,
  );
});
