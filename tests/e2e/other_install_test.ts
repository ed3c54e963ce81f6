/**
 * Certificates of another install, between real processes: each side names the other CA in one
 * line instead of a raw TLS error (finding 10). A client of another install (its own CA and
 * certificate): the server says the client refused its certificate because the client trusts
 * another CA (rustls' alert UnknownCA; DecryptError when the other CA has the same name, as every
 * CA had before CAs were named after their key), and the client names both CAs. A client that
 * trusts our CA but presents another install's certificate: the server names that certificate's
 * issuer. Needs root; skipped otherwise.
 */
import assert from "node:assert/strict";
import { runOk } from "../../tools/lab/netns_lab.ts";
import { E2eLab, shareKeysWithRunGroup } from "../lib/e2e_lab.ts";

const ignore = Deno.uid() !== 0;

async function subjectOf(cert: string): Promise<string> {
  const out = await runOk("openssl", [
    "x509",
    "-in",
    cert,
    "-noout",
    "-subject",
    "-nameopt",
    "RFC2253",
  ]);
  return out.trim().replace(/^subject=/, "");
}

/** A CA made with openssl whose name is `subject`, in `dir`, with a "client" certificate. */
async function opensslInstall(lab: E2eLab, dir: string, subject: string): Promise<void> {
  await Deno.mkdir(dir);
  await runOk("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/${subject.replace(/^CN=/, "CN=")}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.crt`,
  ]);
  await lab.issueWithOpenssl(dir, "client", "clientAuth");
  await shareKeysWithRunGroup(dir);
}

Deno.test({
  name:
    "a client of another install: the server says the client trusts another CA, the client names both CAs",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("other");
    const ourCa = await subjectOf(`${lab.certDir}/ca.crt`);
    const other = `${lab.dir}/other`;
    await lab.issue({ certDir: other, serverIp: lab.server.ip, clientName: "client" });
    const theirCa = await subjectOf(`${other}/ca.crt`);
    assert.notEqual(theirCa, ourCa);
    const ours = await lab.configs();
    const theirs = await lab.configs({ certDir: other });
    const server = await lab.startServer(ours);
    const client = lab.start(lab.client, theirs.clientConfig, theirs.clientLog);
    const serverLine = await server.waitForLog(/TLS handshake with 198\.18\.0\.2:\d+ failed: .*/);
    assert.match(
      serverLine,
      /failed: the client refused this server's certificate \(TLS alert UnknownCA\): its security\.tls\.ca_file is another CA than the one that signed ours, e\.g\. another install's; give the client this server's ca\.crt and a client certificate issued from it$/,
    );
    const clientLine = await client.waitForLog(/cannot connect to .*/);
    assert.ok(
      clientLine.includes(
        `the server certificate (CN=198.18.0.1) was issued by ${ourCa}, not by our CA ` +
          `(${theirCa}): the server belongs to another install`,
      ),
      clientLine,
    );
    assert.doesNotMatch(await server.log(), /DecryptError|ERR_SSL/);
  },
});

Deno.test({
  name:
    "a client whose CA has the same name as ours (an older install): DecryptError is explained, not shown raw",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("same");
    const ourCa = await subjectOf(`${lab.certDir}/ca.crt`);
    const other = `${lab.dir}/same-name`;
    await opensslInstall(lab, other, ourCa);
    const ours = await lab.configs();
    const theirs = await lab.configs({ certDir: other });
    const server = await lab.startServer(ours);
    const client = lab.start(lab.client, theirs.clientConfig, theirs.clientLog);
    const serverLine = await server.waitForLog(/TLS handshake with 198\.18\.0\.2:\d+ failed: .*/);
    assert.match(
      serverLine,
      /failed: the client refused this server's certificate \(TLS alert DecryptError\): its security\.tls\.ca_file is another CA than the one that signed ours/,
    );
    assert.doesNotMatch(serverLine, /ERR_SSL/);
    const clientLine = await client.waitForLog(/cannot connect to .*/);
    assert.ok(
      clientLine.includes(
        `was issued by another CA of the same name (${ourCa}, another key), not by our CA ` +
          `(${ourCa}): the server belongs to another install`,
      ),
      clientLine,
    );
  },
});

Deno.test({
  name: "a client that presents another install's certificate: the server names its issuer",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("foreign");
    const other = `${lab.dir}/other`;
    await lab.issue({ certDir: other, serverIp: lab.server.ip, clientName: "client" });
    const theirCa = await subjectOf(`${other}/ca.crt`);
    const server = await lab.startServer(await lab.configs());
    // Our client refuses to start with a certificate its ca_file did not sign, so the stranger
    // is openssl: the other install's certificate and key, trusting our CA.
    const stranger = await lab.net.try(lab.client, "openssl", [
      "s_client",
      "-connect",
      `${lab.server.ip}:443`,
      "-cert",
      `${other}/client.crt`,
      "-key",
      `${other}/client.key`,
      "-CAfile",
      `${lab.certDir}/ca.crt`,
    ], { stdin: "" });
    assert.match(stranger.stdout + stranger.stderr, /CONNECTED/);
    const line = await server.waitForLog(/client certificate refused: .*/);
    assert.ok(
      line.includes(
        `certificate CN=client is not signed by our CA: it was issued by ${theirCa}, e.g. ` +
          "another install's; issue the client one from this server's CA",
      ),
      line,
    );
  },
});
