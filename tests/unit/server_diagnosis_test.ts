import assert from "node:assert/strict";
import { diagnoseServerCertificate } from "../../src/transport/server_diagnosis.ts";
import { decodePemCertificates } from "../../src/pki/pem.ts";
import { TempCertificates } from "../lib/e2e_lab.ts";

Deno.test("diagnoseServerCertificate(): a good certificate passes; name, CA and time are named", async () => {
  await using certs = await TempCertificates.create("198.18.0.1");
  await using other = await TempCertificates.create("198.18.0.1");
  const read = (dir: string, name: string) => Deno.readTextFile(`${dir}/${name}`);
  const ca = await read(certs.certDir, "ca.crt");
  const [der] = decodePemCertificates(await read(certs.certDir, "server.crt"));
  const [foreign] = decodePemCertificates(await read(other.certDir, "server.crt"));
  assert.equal(await diagnoseServerCertificate(der!, ca, "198.18.0.1"), undefined);
  assert.match(
    (await diagnoseServerCertificate(der!, ca, "198.18.0.2"))!,
    /^the server certificate does not name the address dialled: 198\.18\.0\.2 is not among its names \(IP:198\.18\.0\.1\)/,
  );
  assert.match(
    (await diagnoseServerCertificate(der!, ca, "vpn.example.com"))!,
    /vpn\.example\.com is not among its names/,
  );
  const ours = /CN=SSSonector CA [0-9A-F]{8}/;
  const message = (await diagnoseServerCertificate(foreign!, ca, "198.18.0.1"))!;
  assert.match(
    message,
    /^the server certificate \(CN=198\.18\.0\.1\) was issued by CN=SSSonector CA ([0-9A-F]{8}), not by our CA \(CN=SSSonector CA ([0-9A-F]{8})\): the server belongs to another install; use its ca\.crt and a client certificate issued from its CA \(security\.tls\.ca_file, cert_file, key_file\)$/,
  );
  const [, theirs, our] = /CA ([0-9A-F]{8}), not by our CA \(CN=SSSonector CA ([0-9A-F]{8})/.exec(
    message,
  )!;
  assert.notEqual(theirs, our);
  assert.match(message, ours);
  const later = new Date(Date.now() + 3 * 24 * 3600 * 1000);
  assert.match((await diagnoseServerCertificate(der!, ca, "198.18.0.1", later))!, /expired on /);
  assert.equal(
    await diagnoseServerCertificate(new Uint8Array([1, 2, 3]), ca, "198.18.0.1"),
    "the server certificate cannot be parsed as X.509",
  );
});
