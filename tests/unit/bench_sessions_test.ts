import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { hostAddress, sourceAddress } from "../../tools/bench/sessions_bench.ts";
import { issueSessionCertificates } from "../../tools/bench/session_certs.ts";
import {
  formatSessionsReport,
  kibPerSession,
  levelCells,
  type SessionLevel,
  sessionLevels,
  type SessionsReport,
} from "../../tools/bench/sessions_table.ts";
import { loopbackCertificates } from "../../tools/lab/loopback_certificates.ts";
import { extendedKeyUsages, OID, parseCertificate } from "../../src/pki/x509.ts";

Deno.test("sessionLevels() measures a tenth, a quarter, half and all, each count once", () => {
  assert.deepEqual(sessionLevels(10000), [1000, 2500, 5000, 10000]);
  assert.deepEqual(sessionLevels(2), [1, 2]);
  assert.deepEqual(sessionLevels(1), [1]);
  assert.deepEqual(sessionLevels(4), [1, 2, 4]);
});

Deno.test("kibPerSession() is the least-squares slope, null without two distinct counts", () => {
  assert.equal(kibPerSession([[0, 80_000], [1000, 126_000], [2000, 172_000]]), 46);
  assert.equal(kibPerSession([[100, 5]]), null);
  assert.equal(kibPerSession([[100, 5], [100, 6]]), null);
});

Deno.test("hostAddress() skips .0 and .255 host parts; sourceAddress() takes /24s in turn", () => {
  assert.equal(hostAddress("10.100", 0), "10.100.0.1");
  assert.equal(hostAddress("10.100", 253), "10.100.0.254");
  assert.equal(hostAddress("10.100", 254), "10.100.1.1");
  assert.throws(() => hostAddress("10.100", 256 * 254), RangeError);
  assert.equal(sourceAddress("198.19", 0), "198.19.0.1");
  assert.equal(sourceAddress("198.19", 1), "198.19.1.1");
  assert.equal(sourceAddress("198.19", 256), "198.19.0.2");
  const first1000 = Array.from({ length: 1000 }, (_, i) => sourceAddress("198.19", i));
  assert.equal(new Set(first1000).size, 1000);
  // No /24 holds more than 4 of the first thousand.
  const perBlock = new Map<string, number>();
  for (const ip of first1000) {
    const block = ip.split(".").slice(0, 3).join(".");
    perBlock.set(block, (perBlock.get(block) ?? 0) + 1);
  }
  assert.ok(Math.max(...perBlock.values()) <= 4);
  assert.throws(() => sourceAddress("198.19", 256 * 254), RangeError);
});

Deno.test("issueSessionCertificates() signs a client certificate per name with the CA", async () => {
  await using certs = await loopbackCertificates("fp-session-certs-");
  const caPem = await certs.read("ca.crt");
  const issued = await issueSessionCertificates(["hold1", "hold2", "hold3"], {
    certPem: caPem,
    keyPem: await certs.read("ca.key"),
  });
  assert.equal(issued.certPems.length, 3);
  const ca = new X509Certificate(caPem);
  const serials = new Set<string>();
  for (const [i, pem] of issued.certPems.entries()) {
    const cert = new X509Certificate(pem);
    assert.equal(cert.subject, `CN=hold${i + 1}`);
    assert.ok(cert.verify(ca.publicKey), "signed by the CA");
    assert.ok(cert.checkIssued(ca));
    assert.deepEqual(cert.keyUsage, ["DigitalSignature"]);
    assert.deepEqual(extendedKeyUsages(parseCertificate(new Uint8Array(cert.raw))), [
      OID.clientAuth,
    ]);
    serials.add(cert.serialNumber);
  }
  assert.equal(serials.size, 3, "a serial each");
  assert.match(issued.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
});

const LEVEL: SessionLevel = {
  sessions: 10000,
  memory: { rssKiB: 600 * 1024, pssKiB: 560 * 1024, privateKiB: 540 * 1024 },
  fds: 10031,
  cpuPercent: 12.34,
  generatorCpuPercent: 20,
  rtt: { samples: 20000, medianMs: 0.81, p99Ms: 12.5 },
  setups: { opened: 5000, failed: 2, perSecond: 250.4, medianMs: 120, p99Ms: 300, failures: {} },
  admissionMs: [40, 95.2, 60],
  lost: 0,
};

Deno.test("levelCells() shows memory in MiB, CPU, round trips and the slowest admission", () => {
  assert.deepEqual(levelCells(LEVEL), [
    "10000",
    "600/560/540",
    "10031",
    "12.3",
    "20.0",
    "0.81/13",
    "250",
    "120/300",
    "95",
    "0",
  ]);
  const empty = levelCells({
    ...LEVEL,
    sessions: 0,
    setups: null,
    admissionMs: [],
    rtt: {
      samples: 0,
      medianMs: NaN,
      p99Ms: NaN,
    },
  });
  assert.deepEqual(empty.slice(5, 9), ["-", "-", "-", "-"]);
});

Deno.test("formatSessionsReport() prints the method, the table, the slope and the failures", () => {
  const report: SessionsReport = {
    schema: "sssonector-bench-sessions/1",
    date: "2026-12-07T22:00:00.000Z",
    machine: {
      nproc: 2,
      kernel: "6.18",
      cpuModel: null,
      loadAverage: "1 1 1",
      deno: "2.9.6",
      sssonector: "0.1.0",
      openvpn: null,
    },
    settings: {
      quick: false,
      target: 10000,
      windowSeconds: 20,
      concurrency: 64,
      keepaliveSeconds: 10,
      sourceAddresses: 10022,
    },
    levels: [{
      ...LEVEL,
      setups: { ...LEVEL.setups!, failures: { "received fatal alert: InternalError": 2 } },
    }],
    rssKiBPerSession: 46.04,
    privateKiBPerSession: 44,
    notes: ["stopped at 9000 sessions"],
  };
  const text = formatSessionsReport(report);
  assert.match(text, /^SSSonector sessions benchmark \(full\)/m);
  assert.match(text, /10022 source addresses, 64 set-ups at once/);
  assert.match(text, /^ +10000 +600\/560\/540 +10031 /m);
  assert.match(text, /^per session: RSS 46\.0 KiB, private 44\.0 KiB/m);
  assert.match(text, /^note: 2 set-up\(s\) failed on the way to 10000: received fatal alert/m);
  assert.match(text, /^note: stopped at 9000 sessions$/m);
});
