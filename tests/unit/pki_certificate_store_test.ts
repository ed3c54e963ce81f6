import assert from "node:assert/strict";
import { join } from "node:path";
import type { TlsConfig } from "../../src/config/types.ts";
import {
  CertificateSetError,
  CertificateStore,
  type CertificateStoreOptions,
  describeExpiring,
  inLastThird,
} from "../../src/pki/certificate_store.ts";
import type { GeneratedFiles } from "../../src/pki/generate.ts";
import { refreshRevocationList, revokeCertificate } from "../../src/pki/revoke.ts";
import type { TlsMaterial } from "../../src/pki/material.ts";
import { issueCaWithClients, opensslOk, PkiFixtures, readText } from "../lib/pki_fixtures.ts";

const fixtures = new PkiFixtures();
const DAY_MS = 24 * 60 * 60 * 1000;

/** Two client certificates (generations A and B) from one CA, and a CA that signed neither. */
interface Generations {
  readonly dir: string;
  readonly a: GeneratedFiles;
  readonly b: GeneratedFiles;
  readonly otherCa: string;
}

let generations: Promise<Generations> | undefined;

function shared(): Promise<Generations> {
  generations ??= (async () => {
    const dir = await fixtures.tempDir("generations");
    const [a, b] = await issueCaWithClients(dir, "192.0.2.1", ["a", "b"]);
    const other = await fixtures.generatedSet("ecdsa-p256", "other");
    return { dir, a: a!, b: b!, otherCa: other.caCertFile };
  })();
  return generations;
}

/** A folder of its own holding client.crt, client.key and ca.crt, as a deployed client has. */
async function deployed(from: GeneratedFiles) {
  const dir = await fixtures.tempDir("deployed");
  const tls: TlsConfig = {
    enabled: true,
    minVersion: "1.3",
    certFile: join(dir, "client.crt"),
    keyFile: join(dir, "client.key"),
    caFile: join(dir, "ca.crt"),
  };
  await install(tls, from);
  return tls;
}

/** Copies a generation's certificate, key and CA into the files `tls` names. */
async function install(tls: TlsConfig, from: GeneratedFiles, only?: "cert" | "key") {
  if (only !== "key") await copy(from.clientCertFile, tls.certFile);
  if (only !== "cert") await copy(from.clientKeyFile, tls.keyFile, 0o600);
  if (only === undefined) await copy(from.caCertFile, tls.caFile);
}

async function copy(from: string, to: string, mode = 0o644) {
  await Deno.writeTextFile(to, await readText(from), { mode });
}

async function materialOf(from: GeneratedFiles, minVersion: TlsMaterial["minVersion"] = "1.3") {
  return {
    cert: await readText(from.clientCertFile),
    key: await readText(from.clientKeyFile),
    ca: await readText(from.caCertFile),
    minVersion,
  };
}

async function serialOf(certFile: string): Promise<string> {
  return (await opensslOk(["x509", "-in", certFile, "-noout", "-serial"])).trim().replace(
    /^serial=/,
    "",
  );
}

function load(tls: TlsConfig, options?: CertificateStoreOptions) {
  return CertificateStore.load(tls, "client", options);
}

Deno.test("CertificateStore.load() hands out the checked files as they are on disk", async () => {
  const { a } = await shared();
  const tls = await deployed(a);
  const store = await load(tls);
  assert.deepEqual(store.current(), await materialOf(a));
  assert.ok(Object.isFrozen(store.current()));
  const state = store.state();
  assert.equal(state.certificate.serialHex, await serialOf(a.clientCertFile));
  assert.equal(state.certificate.subject, "CN=a");
  assert.equal(state.authorities.length, 1);
  assert.match(state.authorities[0]!.subject, /^CN=SSSonector CA [0-9A-F]{8}$/);
});

Deno.test("CertificateStore.load() refuses a broken set with every problem, each naming its file", async () => {
  const { a, otherCa } = await shared();
  const tls = await deployed(a);
  await copy(otherCa, tls.caFile);
  await Deno.writeTextFile(tls.keyFile, "not a key\n");
  const error = await load(tls).then(
    () => assert.fail("expected the load to fail"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof CertificateSetError, String(error));
  assert.deepEqual(error.problems, [
    `${tls.keyFile}: not a PEM file (no "-----BEGIN" line)`,
    `${tls.certFile}: certificate is not signed by the CA in ${tls.caFile}`,
  ]);
  assert.equal(error.message, `${error.problems[0]} (and 1 more problems)`);
});

Deno.test("CertificateStore.load() refuses a server certificate for the client role", async () => {
  const { a } = await shared();
  const tls = await deployed(a);
  await copy(a.serverCertFile ?? "", tls.certFile);
  await copy(a.serverKeyFile ?? "", tls.keyFile, 0o600);
  await assert.rejects(
    load(tls),
    (error: unknown) =>
      error instanceof CertificateSetError &&
      error.problems.some((p) => /extendedKeyUsage lacks clientAuth$/.test(p)),
  );
});

Deno.test("CertificateStore.reload() swaps in a renewed set, tells listeners once and reports both serials", async () => {
  const { a, b } = await shared();
  const tls = await deployed(a);
  const store = await load(tls);
  const told: TlsMaterial[] = [];
  store.onChange((material, change) => {
    // Listeners run after the swap: current() already hands out the new set.
    assert.equal(store.current(), material);
    assert.equal(change.after.material, material);
    told.push(material);
  });
  await install(tls, b);
  const result = await store.reload();
  assert.equal(result.status, "swapped");
  assert.deepEqual(store.current(), await materialOf(b));
  assert.deepEqual(told, [store.current()]);
  const [serialA, serialB] = [await serialOf(a.clientCertFile), await serialOf(b.clientCertFile)];
  assert.equal(result.change.before.certificate.serialHex, serialA);
  assert.equal(result.change.after.certificate.serialHex, serialB);
  assert.match(
    result.message,
    new RegExp(
      `^certificates reloaded: certificate serial ${serialA} \\(CN=a, expires \\S+Z\\) -> ` +
        `serial ${serialB} \\(CN=b, expires \\S+Z\\); new key$`,
    ),
  );
  assert.ok(!result.message.includes("\n"));
});

Deno.test("CertificateStore.reload() of unchanged files reports so and tells no listener", async () => {
  const { a } = await shared();
  const store = await load(await deployed(a));
  const before = store.current();
  let told = 0;
  store.onChange(() => told++);
  const result = await store.reload();
  assert.equal(result.status, "unchanged");
  assert.match(result.message, /^certificates unchanged: serial [0-9A-F]+ \(CN=a, expires /);
  assert.equal(store.current(), before);
  assert.equal(told, 0);
});

Deno.test("CertificateStore.onChange() returns a function that removes the listener", async () => {
  const { a, b } = await shared();
  const tls = await deployed(a);
  const store = await load(tls);
  let told = 0;
  const stop = store.onChange(() => told++);
  stop();
  await install(tls, b);
  assert.equal((await store.reload()).status, "swapped");
  assert.equal(told, 0);
});

Deno.test("CertificateStore.reload() swaps even when a listener throws, and reports the failure", async () => {
  const { a, b } = await shared();
  const tls = await deployed(a);
  const store = await load(tls);
  let second = 0;
  store.onChange(() => {
    throw new Error("setSecureContext failed");
  });
  store.onChange(() => second++);
  await install(tls, b);
  const result = await store.reload();
  assert.equal(result.status, "swapped");
  assert.deepEqual(result.listenerErrors, ["setSecureContext failed"]);
  assert.match(result.message, /; applying them failed: setSecureContext failed$/);
  assert.equal(second, 1, "the other listeners still run");
  assert.deepEqual(store.current(), await materialOf(b));
});

/** Each way a reload can be broken: what to do to the files, and the problem expected. */
const BROKEN: readonly {
  readonly name: string;
  readonly breakIt: (tls: TlsConfig, g: Generations, clock: { now: Date }) => Promise<void>;
  readonly problem: (tls: TlsConfig) => RegExp;
}[] = [
  {
    name: "a broken key",
    breakIt: (tls) =>
      Deno.writeTextFile(
        tls.keyFile,
        "-----BEGIN PRIVATE KEY-----\nAAECAwQFBgcI\n-----END PRIVATE KEY-----\n",
      ),
    problem: (tls) => new RegExp(`^${escape(tls.keyFile)}: not a usable PKCS#8 private key`),
  },
  {
    name: "a certificate that does not match the key (renewal half done)",
    breakIt: (tls, g) => install(tls, g.b, "cert"),
    problem: (tls) =>
      new RegExp(`^${escape(tls.keyFile)}: the private key does not match the certificate`),
  },
  {
    name: "a CA that did not sign the certificate",
    breakIt: (tls, g) => copy(g.otherCa, tls.caFile),
    problem: (tls) =>
      new RegExp(`^${escape(tls.certFile)}: certificate is not signed by the CA in `),
  },
  {
    name: "an expired certificate",
    breakIt: async (tls, _g, clock) => {
      const notAfter = (await load(tls)).state().certificate.notAfter;
      clock.now = new Date(notAfter.getTime() + DAY_MS);
    },
    problem: (tls) => new RegExp(`^${escape(tls.certFile)}: certificate expired on `),
  },
  {
    name: "a missing file",
    breakIt: (tls) => Deno.remove(tls.certFile),
    problem: (tls) => new RegExp(`^${escape(tls.certFile)}: cannot read the file: no such file$`),
  },
];

for (const { name, breakIt, problem } of BROKEN) {
  Deno.test(`CertificateStore.reload() keeps the current set after ${name}`, async () => {
    const g = await shared();
    const tls = await deployed(g.a);
    const clock = { now: new Date() };
    const store = await load(tls, { now: () => clock.now });
    const before = store.current();
    let told = 0;
    store.onChange(() => told++);
    await breakIt(tls, g, clock);
    const result = await store.reload();
    assert.equal(result.status, "kept", result.message);
    assert.ok(result.problems.length >= 1);
    assert.match(result.problems[0] ?? "", problem(tls));
    assert.equal(store.current(), before, "the very same material object");
    assert.equal(told, 0);
    const serial = await serialOf(g.a.clientCertFile);
    assert.match(
      result.message,
      new RegExp(`^certificate reload refused, still using serial ${serial} \\(CN=a, expires `),
    );
    assert.ok(!result.message.includes("\n"), result.message);
  });
}

Deno.test("CertificateStore.reload() recovers once a broken set is fixed", async () => {
  const g = await shared();
  const tls = await deployed(g.a);
  const store = await load(tls);
  await install(tls, g.b, "cert");
  assert.equal((await store.reload()).status, "kept");
  await install(tls, g.b, "key");
  assert.equal((await store.reload()).status, "swapped");
  assert.deepEqual(store.current(), await materialOf(g.b));
});

Deno.test("CertificateStore.current() never hands out a half-updated set while files change under reloads", async () => {
  const g = await shared();
  const tls = await deployed(g.a);
  const store = await load(tls);
  const wholeSets = [await materialOf(g.a), await materialOf(g.b)];
  const seen: TlsMaterial[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      seen.push(store.current());
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  })();
  // Flip between the generations file by file, reloading at every step, several at once.
  const results = [];
  for (let round = 0; round < 4; round++) {
    const next = round % 2 === 0 ? g.b : g.a;
    const pending = [store.reload()];
    await install(tls, next, "cert");
    pending.push(store.reload());
    await install(tls, next, "key");
    pending.push(store.reload(), store.reload());
    results.push(...(await Promise.all(pending)).map((r) => r.status));
  }
  sampling = false;
  await sampler;
  assert.ok(seen.length > 4, `sampled ${seen.length} times`);
  for (const material of [...seen, store.current()]) {
    assert.ok(
      wholeSets.some((set) => set.cert === material.cert && set.key === material.key),
      "every material handed out is one whole generation",
    );
  }
  assert.ok(results.includes("swapped"), results.join(" "));
  // The last round put generation A back, and the last reload ran after it.
  assert.deepEqual(store.current(), wholeSets[0]);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A deployed client whose configuration names a CRL, copied from the generations' folder. */
async function deployedWithCrl(from: GeneratedFiles, crlText: string) {
  const tls = await deployed(from);
  const crlFile = join(tls.certFile, "..", "ca.crl");
  await Deno.writeTextFile(crlFile, crlText);
  return { ...tls, crlFile };
}

/** A CRL of the generations' CA listing `revoked` (file stems in its folder), as text. */
async function crlListing(
  g: Generations,
  revoked: readonly string[],
  crlDays = 30,
): Promise<string> {
  const dir = await fixtures.tempDir("crl_ca");
  for (const name of ["ca.crt", "ca.key", ...revoked.map((r) => `${r}.crt`)]) {
    await Deno.copyFile(join(g.dir, name), join(dir, name));
  }
  await refreshRevocationList({ certDir: dir, crlDays });
  for (const name of revoked) await revokeCertificate({ certDir: dir, name, crlDays });
  return await readText(join(dir, "ca.crl"));
}

Deno.test("CertificateStore carries the CRL the configuration names and answers isRevoked()", async () => {
  const g = await shared();
  const store = await load(await deployedWithCrl(g.a, await crlListing(g, ["b"])));
  const revocation = store.state().revocation;
  assert.ok(revocation);
  assert.equal(revocation.entries.length, 1);
  assert.equal(store.isRevoked(await serialOf(g.b.clientCertFile)), true);
  assert.equal(store.isRevoked(await serialOf(g.a.clientCertFile)), false);
  const without = await load(await deployed(g.a));
  assert.equal(without.state().revocation, undefined);
  assert.equal(without.isRevoked(await serialOf(g.b.clientCertFile)), false);
});

Deno.test("CertificateStore.load() refuses a set whose own certificate the CRL revokes", async () => {
  const g = await shared();
  const tls = await deployedWithCrl(g.a, await crlListing(g, ["a"]));
  await assert.rejects(load(tls), (error: unknown) => {
    assert.ok(error instanceof CertificateSetError);
    assert.equal(error.problems.length, 1);
    assert.match(
      error.problems[0] ?? "",
      new RegExp(
        `^${escape(tls.certFile)}: certificate serial [0-9A-F]+ is revoked by ${
          escape(tls.crlFile)
        } \\(since \\S+Z\\); issue a new one with --renew$`,
      ),
    );
    return true;
  });
});

Deno.test("CertificateStore.reload() swaps in an updated CRL and reports its number", async () => {
  const g = await shared();
  const tls = await deployedWithCrl(g.a, await crlListing(g, []));
  const store = await load(tls);
  const revoked = await serialOf(g.b.clientCertFile);
  assert.equal(store.isRevoked(revoked), false);
  await Deno.writeTextFile(tls.crlFile, await crlListing(g, ["b"]));
  const result = await store.reload();
  assert.equal(result.status, "swapped", result.message);
  assert.equal(store.isRevoked(revoked), true);
  assert.match(
    result.message,
    /certificate unchanged, serial .*; CRL number 1 -> 2 \(1 revoked\)$/,
  );
});

Deno.test("CertificateStore.reload() keeps the previous CRL when the new one is broken, expired or foreign", async () => {
  const g = await shared();
  const good = await crlListing(g, ["b"], 1);
  const tls = await deployedWithCrl(g.a, good);
  const clock = { now: new Date() };
  const store = await load(tls, { now: () => clock.now });
  const before = store.state();
  const revoked = await serialOf(g.b.clientCertFile);

  await Deno.writeTextFile(tls.crlFile, "garbage\n");
  const broken = await store.reload();
  assert.equal(broken.status, "kept");
  assert.deepEqual(broken.problems, [`${tls.crlFile}: not a PEM file (no "-----BEGIN" line)`]);

  const foreignDir = await fixtures.tempDir("foreign_ca");
  const other = await fixtures.generatedSet("ecdsa-p256", "other");
  await Deno.copyFile(other.caCertFile, join(foreignDir, "ca.crt"));
  await Deno.copyFile(other.caKeyFile, join(foreignDir, "ca.key"));
  await refreshRevocationList({ certDir: foreignDir });
  await Deno.copyFile(join(foreignDir, "ca.crl"), tls.crlFile);
  const foreign = await store.reload();
  assert.equal(foreign.status, "kept");
  // Every install's CA has a name of its own: the issuer's name gives it away.
  assert.match(
    foreign.problems[0] ?? "",
    /the CRL is issued by "CN=SSSonector CA [0-9A-F]{8}", not by the CA in /,
  );

  await Deno.writeTextFile(tls.crlFile, good);
  clock.now = new Date(Date.now() + 2 * DAY_MS);
  const expired = await store.reload();
  assert.equal(expired.status, "kept");
  assert.match(expired.problems[0] ?? "", /the CRL expired on .*--refresh-crl/);

  assert.equal(store.state(), before, "the whole previous state, CRL included");
  assert.equal(store.isRevoked(revoked), true);
});

/** The key-mode fix: the key for root and the run group (nogroup on a host without sssonector). */
function groupFix(key: string): string {
  return `fix with: chmod 640 ${key} && chgrp nogroup ${key} (the tunnel's run group, which ` +
    "re-reads it on SIGHUP)";
}

Deno.test("CertificateStore refuses a key file readable or writable by others, or writable by its group, with the chmod that fixes it", async () => {
  const { a } = await shared();
  const tls = await deployed(a);
  for (
    const [mode, problem] of [
      [0o644, `is readable by others (mode 0644); ${groupFix(tls.keyFile)}`],
      [0o602, `is writable by others (mode 0602); ${groupFix(tls.keyFile)}`],
      [0o660, `is writable by its group (mode 0660); fix with: chmod 640 ${tls.keyFile}`],
    ] as const
  ) {
    await Deno.chmod(tls.keyFile, mode);
    await assert.rejects(load(tls), (error: unknown) => {
      assert.ok(error instanceof CertificateSetError);
      assert.deepEqual(error.problems, [`security.tls.key_file ${tls.keyFile} ${problem}`]);
      return true;
    });
  }
  for (const mode of [0o600, 0o640, 0o400]) {
    await Deno.chmod(tls.keyFile, mode);
    await load(tls);
  }
  // A reload refuses it too, and keeps the current set.
  const store = await load(tls);
  await Deno.chmod(tls.keyFile, 0o644);
  const result = await store.reload();
  assert.equal(result.status, "kept");
  assert.match(result.problems[0] ?? "", /readable by others \(mode 0644\)/);
});

Deno.test("CertificateStore.expiringWithin() lists what expires within the days asked, soonest first", async () => {
  const g = await shared();
  const tls = await deployedWithCrl(g.a, await crlListing(g, []));
  const store = await load(tls);
  const { certificate, authorities, revocation } = store.state();
  assert.ok(revocation);
  const now = new Date();
  // The certificate lasts 30 days, the CRL 30 days, the CA 10 years.
  assert.deepEqual(store.expiringWithin(20, now), []);
  const soon = store.expiringWithin(31, now);
  assert.deepEqual(soon.map((item) => item.kind).sort(), ["certificate", "crl"]);
  const cert = soon.find((item) => item.kind === "certificate");
  assert.deepEqual(cert, {
    kind: "certificate",
    file: tls.certFile,
    subject: "CN=a",
    serialHex: certificate.serialHex,
    validFrom: certificate.notBefore,
    expires: certificate.notAfter,
    daysLeft: 29,
  });
  assert.match(
    describeExpiring(cert, now),
    new RegExp(
      `^certificate ${escape(tls.certFile)} \\(CN=a, serial ${certificate.serialHex}\\) ` +
        "expires on \\S+Z, in 29 days$",
    ),
  );
  const crl = soon.find((item) => item.kind === "crl");
  assert.ok(crl);
  assert.match(
    describeExpiring(crl, now),
    /^revocation list .*ca\.crl \(CN=SSSonector CA [0-9A-F]{8}\) must be refreshed by \S+Z, in 29 days$/,
  );
  const all = store.expiringWithin(3651, now);
  assert.equal(all.length, 3);
  assert.equal(all.at(-1)?.kind, "ca");
  assert.equal(all.at(-1)?.expires.getTime(), authorities[0]?.notAfter.getTime());
  assert.ok(all.every((item, i) => i === 0 || all[i - 1]!.expires <= item.expires), "sorted");
  // Past the end, an item has 0 days left rather than a negative count.
  const after = new Date(certificate.notAfter.getTime() + DAY_MS);
  const late = store.expiringWithin(0, after).find((item) => item.kind === "certificate");
  assert.ok(late);
  assert.equal(late.daysLeft, 0);
  assert.match(describeExpiring(late, after), /\) expired on \S+Z$/);
  const hoursBefore = new Date(certificate.notAfter.getTime() - 5.5 * 60 * 60 * 1000);
  assert.match(describeExpiring(late, hoursBefore), /, in 5 hours$/);
});

Deno.test("inLastThird() tells a certificate near its end from one issued for a short time", async () => {
  const { a } = await shared();
  const store = await load(await deployed(a));
  const { notBefore, notAfter } = store.state().certificate;
  const [item] = store.expiringWithin(31, notBefore);
  assert.ok(item?.kind === "certificate");
  const at = (share: number) =>
    new Date(notBefore.getTime() + share * (notAfter.getTime() - notBefore.getTime()));
  assert.equal(inLastThird(item, at(0.1)), false, "a fresh 30-day certificate is not expiring");
  assert.equal(inLastThird(item, at(0.6)), false);
  assert.equal(inLastThird(item, at(0.7)), true);
});
