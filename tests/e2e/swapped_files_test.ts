/**
 * cert_file and key_file given the wrong way round are named as swapped in one line, with the one
 * fix; they were three lines, the first a wrong fix ("chmod 600" the certificate). The real
 * program through the launcher, for --check-config and for a run; no root needed.
 */
import assert from "node:assert/strict";
import { runCli, TempCertificates } from "../lib/e2e_lab.ts";
import { swappedTlsFiles } from "../../src/cli/tls_file_check.ts";

Deno.test("swapped cert_file and key_file are one line saying so, for --check-config and a run", async () => {
  await using temp = await TempCertificates.create();
  const config = `${temp.dir}/server.yaml`;
  await Deno.writeTextFile(
    config,
    `mode: server
listen: 127.0.0.1:4433
address: 10.0.0.1/24
security:
  tls:
    cert_file: certs/server.key
    key_file: certs/server.crt
    ca_file: certs/ca.crt
`,
  );
  const expected = `${config}: security.tls.cert_file and key_file are swapped: cert_file ` +
    `${temp.certDir}/server.key holds a private key and key_file ${temp.certDir}/server.crt a ` +
    "certificate; exchange the two paths\n";
  for (const args of [["--check-config", "-config", config], ["-config", config]]) {
    const result = await runCli(args);
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(result.stderr, expected, args.join(" "));
    assert.equal(result.stdout, "");
  }
});

Deno.test("swappedTlsFiles() is silent for files the right way round, missing or of other kinds", async () => {
  await using temp = await TempCertificates.create();
  const dir = temp.certDir;
  assert.equal(
    await swappedTlsFiles({ certFile: `${dir}/server.crt`, keyFile: `${dir}/server.key` }),
    undefined,
  );
  assert.equal(
    await swappedTlsFiles({ certFile: `${dir}/missing.crt`, keyFile: `${dir}/server.crt` }),
    undefined,
  );
  assert.equal(
    await swappedTlsFiles({ certFile: `${dir}/server.key`, keyFile: `${dir}/server.key` }),
    undefined,
  );
});
