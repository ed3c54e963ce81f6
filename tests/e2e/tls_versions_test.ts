/**
 * TLS versions and client certificates against a real server, with the real `openssl s_client`
 * as the peer: TLS 1.0 and 1.1 never complete, 1.2 and 1.3 do, `min_version: "1.3"` refuses 1.2
 * on the server and on the client (against `openssl s_server`), and a server refuses a client
 * without a certificate and one presenting the server's own certificate. A foreign CA is
 * tests/e2e/tunnel_test.ts's "another CA" test. Needs root; skipped otherwise.
 */
import assert from "node:assert/strict";
import { E2eLab, TUNNEL_PORT } from "../lib/e2e_lab.ts";

const ignore = Deno.uid() !== 0;

/** One `openssl s_client` handshake from the client namespace; stdin ends at once. */
async function sClient(lab: E2eLab, args: string[]) {
  const out = await lab.net.try(lab.client, "openssl", [
    "s_client",
    "-brief",
    "-connect",
    `${lab.server.ip}:${TUNNEL_PORT}`,
    "-CAfile",
    `${lab.certDir}/ca.crt`,
    ...args,
  ], { stdin: "" });
  const text = out.stdout + out.stderr;
  return { code: out.code, text, established: /CONNECTION ESTABLISHED/.test(text) };
}

const clientCert = (lab: E2eLab, name = "client") => [
  "-cert",
  `${lab.certDir}/${name}.crt`,
  "-key",
  `${lab.certDir}/${name}.key`,
];

Deno.test({
  name: "openssl s_client: TLS 1.0 and 1.1 never complete, 1.2 and 1.3 do; no or a server " +
    "certificate as client certificate is refused",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("tlsver");
    // Debug: the door logs only the first refusal per source and minute at WARN.
    const server = await lab.startServer(await lab.configs({ level: "debug" }));
    // SECLEVEL=0 lets this openssl offer the old versions at all: the refusal is the server's.
    for (const flag of ["-tls1", "-tls1_1"]) {
      const old = await sClient(lab, [flag, "-cipher", "DEFAULT@SECLEVEL=0", ...clientCert(lab)]);
      assert.equal(old.established, false, `${flag} completed:\n${old.text}`);
      assert.match(
        old.text,
        /protocol version|alert|unsupported protocol/i,
        `${flag}:\n${old.text}`,
      );
    }
    await server.waitForLog(
      /TLS handshake with .* failed: the peer offered only TLS 1\.1 or older; SSSonector speaks TLS 1\.2 and 1\.3/,
    );
    for (const [flag, version] of [["-tls1_2", "TLSv1.2"], ["-tls1_3", "TLSv1.3"]] as const) {
      const ok = await sClient(lab, [flag, ...clientCert(lab)]);
      assert.ok(ok.established, `${flag} failed:\n${ok.text}`);
      assert.match(ok.text, new RegExp(`Protocol version: ${version.replace(".", "\\.")}`));
    }

    // No client certificate: the handshake may finish, the server then refuses, naming why.
    await sClient(lab, ["-tls1_3"]);
    await server.waitForLog(/client certificate refused: the client presented no certificate/);
    // The server's own certificate (serverAuth only) presented by a client.
    await sClient(lab, ["-tls1_3", ...clientCert(lab, "server")]);
    await server.waitForLog(
      /client certificate refused: certificate CN=.* is not for client authentication/,
    );
    assert.doesNotMatch(await server.log(), /is 10\.0\.0\./, "no session opened");
    console.log(
      (await server.log()).split("\n").filter((l) => /door|authenticated/.test(l)).join("\n"),
    );
  },
});

Deno.test({
  name: 'security.tls.min_version "1.3" refuses TLS 1.2 on the server and on the client',
  ignore,
  async fn() {
    await using lab = await E2eLab.create("tls13");
    const configs = await lab.configs();
    for (const file of [configs.serverConfig, configs.clientConfig]) {
      const text = await Deno.readTextFile(file);
      await Deno.writeTextFile(file, text.replace('min_version: "1.2"', 'min_version: "1.3"'));
    }
    const server = await lab.startServer(configs);
    const v12 = await sClient(lab, ["-tls1_2", ...clientCert(lab)]);
    assert.equal(v12.established, false, `TLS 1.2 completed:\n${v12.text}`);
    assert.match(v12.text, /alert protocol version/, v12.text);
    await server.waitForLog(
      /TLS handshake with .* failed: no TLS version both sides allow \(check security\.tls\.min_version\)/,
    );
    const v13 = await sClient(lab, ["-tls1_3", ...clientCert(lab)]);
    assert.ok(v13.established, v13.text);
    await server.stop();

    // The client's side: a server that speaks TLS 1.2 only.
    const child = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        lab.server.ns,
        "openssl",
        "s_server",
        "-tls1_2",
        "-accept",
        `${lab.server.ip}:${TUNNEL_PORT}`,
        "-cert",
        `${lab.certDir}/server.crt`,
        "-key",
        `${lab.certDir}/server.key`,
      ],
      stdin: "piped", // s_server quits on the first connection when its stdin ends
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const client = lab.start(lab.client, configs.clientConfig, configs.clientLog);
      const line = await client.waitForLog(/WARN .*cannot connect to .*/);
      assert.match(line, /no TLS version both sides allow \(check security\.tls\.min_version\)/);
      await client.stop();
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await child.stdin.close().catch(() => {});
    }
  },
});
