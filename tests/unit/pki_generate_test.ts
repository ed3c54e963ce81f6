import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readDefaultRunAccount } from "../../src/account/run_account.ts";
import { generateCertificates } from "../../src/pki/generate.ts";
import type { GenerateCertsOptions, KeyType } from "../../src/pki/types.ts";
import { PkiError } from "../../src/pki/errors.ts";
import { revokeCertificate } from "../../src/pki/revoke.ts";
import {
  makeOpensslSet,
  openssl,
  opensslOk,
  PkiFixtures,
  readText,
  SHARED_SET,
} from "../lib/pki_fixtures.ts";

const fixtures = new PkiFixtures();
const GENERATE_URL = new URL("../../src/pki/generate.ts", import.meta.url).href;
const CONFIG_PATH = fileURLToPath(new URL("../../deno.json", import.meta.url));
const KEY_TYPES: readonly KeyType[] = ["ecdsa-p256", "rsa-2048", "rsa-4096"];
const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Made by root, leaf keys are 0640 and the folder 0750 for the run group (the tunnel re-reads
 * them after dropping root); made by anyone else, 0600 and 0700. The CA key is always 0600.
 */
const ROOT = Deno.uid() === 0;
const LEAF_KEY_MODE = ROOT ? 0o640 : 0o600;
const DIR_MODE = ROOT ? 0o750 : 0o700;

function options(certDir: string, extra: Partial<GenerateCertsOptions> = {}): GenerateCertsOptions {
  return {
    certDir,
    serverIp: "192.0.2.10",
    serverNames: [],
    clientName: "client",
    days: 30,
    keyType: "ecdsa-p256",
    force: false,
    ...extra,
  };
}

/** Options without serverIp: a call that only issues a client certificate from an existing CA. */
function clientOnly(
  certDir: string,
  extra: Partial<GenerateCertsOptions> = {},
): GenerateCertsOptions {
  const { serverIp: _, ...rest } = options(certDir, extra);
  return rest;
}

/** `openssl x509 -noout -ext <names>` output for a certificate file. */
function extensions(certFile: string, names: string): Promise<string> {
  return opensslOk(["x509", "-in", certFile, "-noout", "-ext", names]);
}

/** notBefore and notAfter of a certificate file, as openssl reads them. */
async function validity(certFile: string): Promise<{ notBefore: Date; notAfter: Date }> {
  const out = await opensslOk([
    "x509",
    "-in",
    certFile,
    "-noout",
    "-dateopt",
    "iso_8601",
    "-startdate",
    "-enddate",
  ]);
  const read = (field: string) => {
    const match = out.match(new RegExp(`${field}=(\\S+) (\\S+)`));
    assert.ok(match, `no ${field} in ${out}`);
    return new Date(`${match[1]}T${match[2]}`);
  };
  return { notBefore: read("notBefore"), notAfter: read("notAfter") };
}

/** The first 20-octet colon-hex key identifier in `text`. */
function keyId(text: string): string {
  const match = text.match(/[0-9A-F]{2}(?::[0-9A-F]{2}){19}/);
  assert.ok(match, `no key identifier in ${text}`);
  return match[0];
}

async function snapshot(paths: readonly string[]): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const path of paths) {
    const info = await Deno.stat(path);
    map.set(path, `${info.mtime?.getTime()}:${await readText(path)}`);
  }
  return map;
}

async function assertRejectsWithPkiError(
  promise: Promise<unknown>,
  pattern: RegExp,
): Promise<PkiError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof PkiError, `expected a PkiError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  assert.ok(!caught.message.includes("\n"), "the message is one line");
  return caught;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

for (const keyType of KEY_TYPES) {
  Deno.test(`generateCertificates() with ${keyType} writes server and client certificates that openssl verifies against the CA`, async () => {
    const set = await fixtures.generatedSet(keyType);
    assert.ok(set.serverCertFile !== undefined);
    const out = await opensslOk([
      "verify",
      "-CAfile",
      set.caCertFile,
      set.serverCertFile,
      set.clientCertFile,
    ]);
    assert.match(out, /server\.crt: OK/);
    assert.match(out, /client\.crt: OK/);
    // The purpose checks of openssl agree with the roles.
    await opensslOk([
      "verify",
      "-CAfile",
      set.caCertFile,
      "-purpose",
      "sslserver",
      set.serverCertFile,
    ]);
    await opensslOk([
      "verify",
      "-CAfile",
      set.caCertFile,
      "-purpose",
      "sslclient",
      set.clientCertFile,
    ]);
    const wrongRole = await openssl([
      "verify",
      "-CAfile",
      set.caCertFile,
      "-purpose",
      "sslserver",
      set.clientCertFile,
    ]);
    assert.notEqual(wrongRole.code, 0, "a client certificate must not pass as a server");
  });

  Deno.test(`generateCertificates() with ${keyType} uses that key type and SHA-256 signatures for CA and leaves`, async () => {
    const set = await fixtures.generatedSet(keyType);
    for (const file of [set.caCertFile, set.serverCertFile ?? "", set.clientCertFile]) {
      const text = await opensslOk(["x509", "-in", file, "-noout", "-text"]);
      if (keyType === "ecdsa-p256") {
        assert.match(text, /Public Key Algorithm: id-ecPublicKey/);
        assert.match(text, /NIST CURVE: P-256/);
        assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
      } else {
        assert.match(text, /Public Key Algorithm: rsaEncryption/);
        assert.match(
          text,
          new RegExp(`Public-Key: \\(${keyType === "rsa-2048" ? 2048 : 4096} bit\\)`),
        );
        assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
      }
    }
  });

  Deno.test(`generateCertificates() with ${keyType} puts the server IP and DNS names in the server subjectAltName`, async () => {
    const set = await fixtures.generatedSet(keyType);
    const san = await extensions(set.serverCertFile ?? "", "subjectAltName");
    assert.match(san, /IP Address:10\.20\.30\.40/);
    assert.match(san, /DNS:vpn\.example\.com/);
    assert.match(san, /DNS:tunnel\.example\.org/);
    const subject = await opensslOk([
      "x509",
      "-in",
      set.serverCertFile ?? "",
      "-noout",
      "-subject",
    ]);
    assert.match(subject, /CN ?= ?10\.20\.30\.40/);
    const clientSubject = await opensslOk([
      "x509",
      "-in",
      set.clientCertFile,
      "-noout",
      "-subject",
    ]);
    assert.match(clientSubject, /CN ?= ?client$/m);
  });

  Deno.test(`generateCertificates() with ${keyType} gives the server serverAuth and the client clientAuth`, async () => {
    const set = await fixtures.generatedSet(keyType);
    const serverEku = await extensions(set.serverCertFile ?? "", "extendedKeyUsage");
    assert.match(serverEku, /TLS Web Server Authentication/);
    assert.doesNotMatch(serverEku, /Client/);
    const clientEku = await extensions(set.clientCertFile, "extendedKeyUsage");
    assert.match(clientEku, /TLS Web Client Authentication/);
    assert.doesNotMatch(clientEku, /Server/);
    for (const file of [set.serverCertFile ?? "", set.clientCertFile]) {
      const usage = await extensions(file, "keyUsage,basicConstraints");
      assert.match(usage, /Key Usage: critical\s+Digital Signature/);
      if (keyType === "ecdsa-p256") assert.doesNotMatch(usage, /Key Encipherment/);
      else assert.match(usage, /Digital Signature, Key Encipherment/);
      assert.match(usage, /CA:FALSE/);
    }
  });

  Deno.test(`generateCertificates() with ${keyType} makes a CA with critical CA:TRUE and Certificate Sign, CRL Sign`, async () => {
    const set = await fixtures.generatedSet(keyType);
    const ext = await extensions(set.caCertFile, "basicConstraints,keyUsage");
    assert.match(ext, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
    assert.match(ext, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\s*$/);
    const subject = await opensslOk([
      "x509",
      "-in",
      set.caCertFile,
      "-noout",
      "-subject",
      "-issuer",
    ]);
    assert.match(subject, /subject=CN ?= ?SSSonector CA/);
    assert.match(subject, /issuer=CN ?= ?SSSonector CA/);
  });

  Deno.test(`generateCertificates() with ${keyType} sets key identifiers that chain leaf to CA`, async () => {
    const set = await fixtures.generatedSet(keyType);
    const caSki = keyId(await extensions(set.caCertFile, "subjectKeyIdentifier"));
    const caAki = keyId(await extensions(set.caCertFile, "authorityKeyIdentifier"));
    assert.equal(caAki, caSki);
    for (const file of [set.serverCertFile ?? "", set.clientCertFile]) {
      const ski = keyId(await extensions(file, "subjectKeyIdentifier"));
      const aki = keyId(await extensions(file, "authorityKeyIdentifier"));
      assert.equal(aki, caSki, `${file} names the CA key`);
      assert.notEqual(ski, caSki);
    }
  });

  Deno.test(`generateCertificates() with ${keyType} writes PKCS#8 keys that match their certificates`, async () => {
    const set = await fixtures.generatedSet(keyType);
    const pairs = [
      [set.caKeyFile, set.caCertFile],
      [set.serverKeyFile ?? "", set.serverCertFile ?? ""],
      [set.clientKeyFile, set.clientCertFile],
    ] as const;
    const publicKeys = new Set<string>();
    for (const [keyFile, certFile] of pairs) {
      const pem = await readText(keyFile);
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(pem, /\n-----END PRIVATE KEY-----\n$/);
      const fromKey = await opensslOk(["pkey", "-in", keyFile, "-pubout"]);
      const fromCert = await opensslOk(["x509", "-in", certFile, "-pubkey", "-noout"]);
      assert.equal(fromKey, fromCert, `${keyFile} matches ${certFile}`);
      publicKeys.add(fromKey);
    }
    assert.equal(publicKeys.size, 3, "CA, server and client have their own keys");
  });

  Deno.test(`generateCertificates() with ${keyType} gives each certificate a different positive 128-bit serial`, async () => {
    const set = await fixtures.generatedSet(keyType);
    const serials = new Set<string>();
    for (const file of [set.caCertFile, set.serverCertFile ?? "", set.clientCertFile]) {
      const out = await opensslOk(["x509", "-in", file, "-noout", "-serial"]);
      const hex = out.trim().replace(/^serial=/, "");
      assert.match(hex, /^[0-9A-F]+$/);
      const bits = BigInt(`0x${hex}`).toString(2).length;
      assert.ok(bits >= 120 && bits <= 128, `serial ${hex} has ${bits} bits`);
      serials.add(hex);
    }
    assert.equal(serials.size, 3);
  });

  Deno.test(`generateCertificates() with ${keyType} makes the CA valid 10 years and leaves the given days, from 5 minutes ago`, async () => {
    const set = await fixtures.generatedSet(keyType);
    const now = Date.now();
    const ca = await validity(set.caCertFile);
    const caDays = (ca.notAfter.getTime() - ca.notBefore.getTime()) / DAY_MS;
    assert.ok(Math.abs(caDays - 3650) < 0.01, `CA validity ${caDays} days`);
    for (const file of [set.serverCertFile ?? "", set.clientCertFile]) {
      const leaf = await validity(file);
      const days = (leaf.notAfter.getTime() - leaf.notBefore.getTime()) / DAY_MS;
      // notBefore is 5 minutes early; notAfter is `days` after issuing.
      assert.ok(Math.abs(days - SHARED_SET.days) < 0.01, `${file} validity ${days} days`);
      const skew = now - leaf.notBefore.getTime();
      assert.ok(skew >= 4 * 60 * 1000 && skew < 10 * 60 * 1000, `notBefore ${skew} ms ago`);
    }
  });

  Deno.test(`generateCertificates() with ${keyType} writes the CA key 0600, leaf keys 0640 for the run group (as root) and certificates 0644`, async () => {
    const set = await fixtures.generatedSet(keyType);
    assert.equal(((await Deno.stat(set.caKeyFile)).mode ?? 0) & 0o777, 0o600);
    const runGroup = ROOT ? (await readDefaultRunAccount())?.gid : undefined;
    for (const file of [set.serverKeyFile ?? "", set.clientKeyFile]) {
      const info = await Deno.stat(file);
      assert.equal((info.mode ?? 0) & 0o777, LEAF_KEY_MODE, file);
      if (runGroup !== undefined) assert.equal(info.gid, runGroup, file);
    }
    for (const file of [set.caCertFile, set.serverCertFile ?? "", set.clientCertFile]) {
      assert.equal(((await Deno.stat(file)).mode ?? 0) & 0o777, 0o644, file);
    }
  });
}

Deno.test("generateCertificates() lists the seven files it wrote (an empty ca.crl too) and reports a new CA", async () => {
  const set = await fixtures.generatedSet("ecdsa-p256");
  const dir = join(set.caCertFile, "..");
  assert.equal(set.caReused, false);
  assert.deepEqual(
    [...set.written].sort(),
    ["ca.crl", "ca.crt", "ca.key", "client.crt", "client.key", "server.crt", "server.key"].map((
      f,
    ) => join(dir, f)),
  );
  const entries: string[] = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry.name);
  assert.deepEqual(entries.sort(), [
    "ca.crl",
    "ca.crt",
    "ca.key",
    "client.crt",
    "client.key",
    "server.crt",
    "server.key",
  ]);
});

Deno.test("generateCertificates() keeps its key modes and certificate mode 0644 whatever the umask", async () => {
  // The umask is process-wide, so it is changed in a child process, not in this test runner.
  const script = join(await fixtures.tempDir("umask_script"), "generate.ts");
  await Deno.writeTextFile(
    script,
    `import { generateCertificates } from ${JSON.stringify(GENERATE_URL)};\n` +
      "Deno.umask(Number(Deno.args[1]));\n" +
      `await generateCertificates(${
        JSON.stringify(options("DIR"))
          .replace('"DIR"', "Deno.args[0]")
      });\n`,
  );
  for (const umask of [0o000, 0o077]) {
    const dir = await fixtures.tempDir("umask");
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--frozen", "-A", "--config", CONFIG_PATH, script, dir, String(umask)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
    for (const name of ["ca.key", "server.key", "client.key"]) {
      const mode = ((await Deno.stat(join(dir, name))).mode ?? 0) & 0o777;
      const expected = name === "ca.key" ? 0o600 : LEAF_KEY_MODE;
      assert.equal(mode, expected, `${name} with umask ${umask.toString(8)}`);
    }
    for (const name of ["ca.crt", "server.crt", "client.crt"]) {
      const mode = ((await Deno.stat(join(dir, name))).mode ?? 0) & 0o777;
      assert.equal(mode, 0o644, `${name} with umask ${umask.toString(8)}`);
    }
  }
});

Deno.test("generateCertificates() creates a missing certificate folder 0750 for the run group (as root), else 0700", async () => {
  const dir = join(await fixtures.freshPath("parent"), "certs");
  await generateCertificates(options(dir));
  assert.equal(((await Deno.stat(dir)).mode ?? 0) & 0o777, DIR_MODE);
});

Deno.test("generateCertificates() refuses to overwrite existing files without force and changes nothing", async () => {
  const dir = await fixtures.tempDir("noforce");
  const first = await generateCertificates(options(dir));
  const before = await snapshot(first.written);
  await assertRejectsWithPkiError(
    generateCertificates(options(dir)),
    new RegExp(
      `^Refusing to overwrite ${dir}/server\\.key: it exists; pass --force to replace it$`,
    ),
  );
  assert.deepEqual(await snapshot(first.written), before);
});

Deno.test("generateCertificates() refuses to overwrite a lone existing client file without force", async () => {
  const dir = await fixtures.tempDir("lonefile");
  await Deno.writeTextFile(join(dir, "client.crt"), "keep me\n");
  await assertRejectsWithPkiError(
    generateCertificates(options(dir)),
    /^Refusing to overwrite .*\/client\.crt: it exists; pass --force/,
  );
  assert.equal(await readText(join(dir, "client.crt")), "keep me\n");
  assert.equal(await exists(join(dir, "ca.crt")), false, "nothing was written");
});

Deno.test("generateCertificates() with force replaces the server and client files but never the CA", async () => {
  const dir = await fixtures.tempDir("force");
  const first = await generateCertificates(options(dir));
  const caFiles = [first.caCertFile, first.caKeyFile, join(dir, "ca.crl")];
  const caBefore = await snapshot(caFiles);
  const leaves = first.written.filter((file) => !caFiles.includes(file));
  const leavesBefore = await snapshot(leaves);
  const second = await generateCertificates(options(dir, { force: true }));
  assert.equal(second.caReused, true);
  assert.equal(second.caReplaced, false);
  assert.deepEqual([...second.written].sort(), [...leaves].sort());
  assert.deepEqual(await snapshot(caFiles), caBefore, "the CA is untouched");
  for (const file of leaves) {
    assert.notEqual(await readText(file), leavesBefore.get(file)?.replace(/^\d+:/, ""), file);
  }
  await opensslOk([
    "verify",
    "-CAfile",
    first.caCertFile,
    second.serverCertFile ?? "",
    second.clientCertFile,
  ]);
  assert.equal(((await Deno.stat(second.serverKeyFile ?? "")).mode ?? 0) & 0o777, LEAF_KEY_MODE);
  // No temporary files are left behind.
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  assert.equal(names.length, 7, names.join(" "));
});

Deno.test("generateCertificates() with newCa replaces the CA and names the certificates it orphans", async () => {
  const dir = await fixtures.tempDir("newca");
  const first = await generateCertificates(options(dir));
  await generateCertificates(clientOnly(dir, { clientName: "web2" }));
  const caBefore = await readText(first.caCertFile);
  const second = await generateCertificates(options(dir, { newCa: true, force: true }));
  assert.equal(second.caReused, false);
  assert.equal(second.caReplaced, true);
  assert.notEqual(await readText(second.caCertFile), caBefore);
  assert.deepEqual(second.staleCertificates, [join(dir, "web2.crt")]);
  await opensslOk([
    "verify",
    "-CAfile",
    second.caCertFile,
    second.serverCertFile ?? "",
    second.clientCertFile,
  ]);
  // web2 came from the old CA and no longer verifies.
  const stale = await openssl(["verify", "-CAfile", second.caCertFile, join(dir, "web2.crt")]);
  assert.notEqual(stale.code, 0);
  assert.equal(((await Deno.stat(second.caKeyFile)).mode ?? 0) & 0o777, 0o600);
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  assert.equal(names.length, 9, names.join(" "));
});

Deno.test("generateCertificates() with newCa but without force still refuses to overwrite server and client files", async () => {
  const dir = await fixtures.tempDir("newca_noforce");
  const first = await generateCertificates(options(dir));
  const before = await snapshot(first.written);
  await assertRejectsWithPkiError(
    generateCertificates(options(dir, { newCa: true })),
    /^Refusing to overwrite .*\/server\.key: it exists; pass --force to replace it$/,
  );
  assert.deepEqual(await snapshot(first.written), before, "not even the CA was replaced");
});

Deno.test("generateCertificates() with newCa creates a CA where there was none, without calling it a replacement", async () => {
  const dir = await fixtures.tempDir("newca_fresh");
  const files = await generateCertificates(options(dir, { newCa: true }));
  assert.equal(files.caReplaced, false);
  assert.deepEqual(files.staleCertificates, []);
  assert.equal(files.written.length, 7);
});

Deno.test("generateCertificates() issues an extra client from the existing CA and leaves ca and server files unchanged", async () => {
  const dir = await fixtures.tempDir("extra");
  const first = await generateCertificates(options(dir));
  const before = await snapshot(first.written);
  const extra = await generateCertificates(clientOnly(dir, { clientName: "web2" }));
  assert.equal(extra.caReused, true);
  assert.equal(extra.serverCertFile, undefined);
  assert.deepEqual(extra.written, [join(dir, "web2.key"), join(dir, "web2.crt")]);
  assert.deepEqual(await snapshot(first.written), before);
  const out = await opensslOk(["verify", "-CAfile", first.caCertFile, extra.clientCertFile]);
  assert.match(out, /web2\.crt: OK/);
  assert.match(
    await opensslOk(["x509", "-in", extra.clientCertFile, "-noout", "-subject"]),
    /CN ?= ?web2/,
  );
  assert.match(
    await extensions(extra.clientCertFile, "extendedKeyUsage"),
    /TLS Web Client Authentication/,
  );
  const caSki = keyId(await extensions(first.caCertFile, "subjectKeyIdentifier"));
  assert.equal(keyId(await extensions(extra.clientCertFile, "authorityKeyIdentifier")), caSki);
  assert.equal(((await Deno.stat(extra.clientKeyFile)).mode ?? 0) & 0o777, LEAF_KEY_MODE);
  // The same client name again is refused.
  await assertRejectsWithPkiError(
    generateCertificates(clientOnly(dir, { clientName: "web2" })),
    /^Refusing to overwrite .*\/web2\.key: it exists/,
  );
});

Deno.test("generateCertificates() issues a client of another key type from an existing CA", async () => {
  const dir = await fixtures.tempDir("mixed");
  const first = await generateCertificates(options(dir));
  const extra = await generateCertificates(clientOnly(dir, {
    clientName: "rsa-client",
    keyType: "rsa-2048",
  }));
  await opensslOk(["verify", "-CAfile", first.caCertFile, extra.clientCertFile]);
  const text = await opensslOk(["x509", "-in", extra.clientCertFile, "-noout", "-text"]);
  assert.match(text, /rsaEncryption/);
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/, "signed by the ECDSA CA");
});

Deno.test("generateCertificates() issues a new server certificate from an existing CA when the server files are gone", async () => {
  const dir = await fixtures.tempDir("reserver");
  const first = await generateCertificates(options(dir));
  const caBefore = await snapshot([first.caCertFile, first.caKeyFile]);
  await Deno.remove(join(dir, "server.crt"));
  await Deno.remove(join(dir, "server.key"));
  const second = await generateCertificates(
    options(dir, { clientName: "second", serverIp: "192.0.2.99" }),
  );
  assert.equal(second.caReused, true);
  assert.deepEqual(await snapshot([first.caCertFile, first.caKeyFile]), caBefore);
  await opensslOk(["verify", "-CAfile", first.caCertFile, second.serverCertFile ?? ""]);
  assert.match(
    await extensions(second.serverCertFile ?? "", "subjectAltName"),
    /IP Address:192\.0\.2\.99/,
  );
});

Deno.test("generateCertificates() needs a server IP when it must create a CA, and writes nothing without one", async () => {
  const dir = join(await fixtures.freshPath("noip"), "certs");
  await assertRejectsWithPkiError(
    generateCertificates(clientOnly(dir)),
    /^A server IP is needed to create a new CA and server certificate in .*: pass --server-ip$/,
  );
  assert.equal(await exists(dir), false);
});

Deno.test("generateCertificates() refuses a CA folder that has ca.crt but no ca.key", async () => {
  const dir = await fixtures.tempDir("halfca");
  const first = await generateCertificates(options(dir));
  await Deno.remove(first.caKeyFile);
  await assertRejectsWithPkiError(
    generateCertificates(clientOnly(dir, { clientName: "other" })),
    /^Found .*\/ca\.crt but not .*\/ca\.key: restore it, or pass --new-ca to create a new CA \(every certificate the old one issued stops working\)$/,
  );
});

Deno.test("generateCertificates() refuses an existing CA whose key does not match its certificate", async () => {
  const dir = await fixtures.tempDir("badca");
  await generateCertificates(options(dir));
  const other = await fixtures.generatedSet("ecdsa-p256");
  await Deno.writeTextFile(join(dir, "ca.key"), await readText(other.caKeyFile));
  await assertRejectsWithPkiError(
    generateCertificates(clientOnly(dir, { clientName: "other" })),
    /ca\.key does not match the CA certificate .*ca\.crt/,
  );
  assert.equal(await exists(join(dir, "other.crt")), false);
});

Deno.test("generateCertificates() refuses an existing ca.crt that is not a certificate", async () => {
  const dir = await fixtures.tempDir("garbageca");
  await generateCertificates(options(dir));
  await Deno.writeTextFile(join(dir, "ca.crt"), "not a certificate\n");
  await assertRejectsWithPkiError(
    generateCertificates(clientOnly(dir, { clientName: "other" })),
    /ca\.crt holds no PEM certificate/,
  );
});

Deno.test("generateCertificates() accepts an IPv6 server IP", async () => {
  const dir = await fixtures.tempDir("ipv6");
  const files = await generateCertificates(
    options(dir, { serverIp: "fd00::1", serverNames: ["v6.example.net"] }),
  );
  const san = await extensions(files.serverCertFile ?? "", "subjectAltName");
  assert.match(san, /IP Address:FD00:0:0:0:0:0:0:1/);
  assert.match(san, /DNS:v6\.example\.net/);
  await opensslOk([
    "verify",
    "-CAfile",
    files.caCertFile,
    "-verify_ip",
    "fd00::1",
    files.serverCertFile ?? "",
  ]);
});

Deno.test("generateCertificates() rejects bad option values with a one-line error naming the value", async () => {
  const dir = await fixtures.tempDir("bad");
  const cases: [Partial<GenerateCertsOptions>, RegExp][] = [
    [{ serverIp: "10.0.0.256" }, /^Server IP "10\.0\.0\.256" is not an IPv4 or IPv6 address$/],
    [{ serverIp: "[::1]" }, /Server IP "\[::1\]"/],
    [{ serverIp: "vpn.example.com" }, /Server IP "vpn\.example\.com"/],
    [
      { serverNames: ["ok.example.com", "bad_name!"] },
      /^Server name "bad_name!" is not a valid DNS name$/,
    ],
    [{ clientName: "../escape" }, /^Client name "\.\.\/escape" is not usable as a file name/],
    [{ clientName: "" }, /^Client name ""/],
    [{ clientName: "ca" }, /^Client name "ca" would overwrite the ca files/],
    [{ clientName: "server" }, /^Client name "server" would overwrite/],
    [{ days: 0 }, /^Validity days must be a whole number from 1 to 3650: got "0"$/],
    [{ days: 3651 }, /got "3651"/],
    [{ days: 1.5 }, /got "1\.5"/],
    [{ keyType: "dsa-1024" as KeyType }, /^Key type "dsa-1024" is not supported/],
    [{ certDir: "" }, /^The certificate folder is empty/],
  ];
  for (const [extra, pattern] of cases) {
    await assertRejectsWithPkiError(generateCertificates(options(dir, extra)), pattern);
  }
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  assert.deepEqual(names, [], "nothing is written for a bad option");
});

Deno.test("generateCertificates() refuses a certificate folder path that is a file", async () => {
  const dir = await fixtures.tempDir("isfile");
  const file = join(dir, "plain");
  await Deno.writeTextFile(file, "x");
  await assertRejectsWithPkiError(
    generateCertificates(options(file)),
    /^The certificate folder .*plain is not a folder$/,
  );
});

Deno.test("generateCertificates() issues from a CA made by openssl and never outlives it", async () => {
  const dir = await fixtures.tempDir("opensslca");
  const ca = await makeOpensslSet(dir, 30);
  const files = await generateCertificates(clientOnly(dir, { days: 365, keyType: "rsa-2048" }));
  assert.equal(files.caReused, true);
  await opensslOk(["verify", "-CAfile", ca.caCertFile, files.clientCertFile]);
  const caValidity = await validity(ca.caCertFile);
  const leafValidity = await validity(files.clientCertFile);
  assert.equal(leafValidity.notAfter.getTime(), caValidity.notAfter.getTime());
  assert.match(
    await opensslOk(["x509", "-in", files.clientCertFile, "-noout", "-issuer"]),
    /CN ?= ?OpenSSL Test CA/,
  );
});

Deno.test("generateCertificates() with newCa replaces an existing ca.crl with an empty one of the new CA", async () => {
  const dir = await fixtures.tempDir("newca_crl");
  await generateCertificates(options(dir));
  await revokeCertificate({ certDir: dir, name: "client" });
  const second = await generateCertificates(options(dir, { newCa: true, force: true }));
  const crl = join(dir, "ca.crl");
  assert.ok(second.written.includes(crl), second.written.join(" "));
  const text = await opensslOk([
    "crl",
    "-in",
    crl,
    "-CAfile",
    second.caCertFile,
    "-noout",
    "-text",
  ]);
  assert.match(text, /No Revoked Certificates/);
  assert.match(text, /X509v3 CRL Number: \n\s+1\n/);
});
