import assert from "node:assert/strict";
import { CertificateStore } from "../../src/pki/certificate_store.ts";
import { CrlFetcher, type CrlFetchOptions, olderThan } from "../../src/pki/crl_fetch.ts";
import { refreshRevocationList, revokeCertificate } from "../../src/pki/revoke.ts";
import { issueCaWithClients, serverTlsConfig } from "../lib/pki_fixtures.ts";

/**
 * In a new temporary folder (removed on disposal): a CA with a server and a client in `ca/`, its
 * first CRL in use by a server's store and copied to `state/ca.crl`.
 */
async function fleet() {
  const dir = await Deno.makeTempDir({ prefix: "ssp-crl-" });
  const remove = () => Deno.remove(dir, { recursive: true });
  try {
    const certDir = `${dir}/ca`;
    await issueCaWithClients(certDir, "198.18.0.1", ["client"]);
    const first = await Deno.readTextFile((await refreshRevocationList({ certDir })).crlFile);
    await Deno.mkdir(`${dir}/state`);
    const crlFile = `${dir}/state/ca.crl`;
    await Deno.writeTextFile(crlFile, first);
    const tls = serverTlsConfig(certDir, { minVersion: "1.2", crlFile });
    const store = await CertificateStore.load(tls, "server");
    /**
     * A fetcher of `urls` for this store and crl_file, every 1 s, the answers from `answers`;
     * `options` replace any of that.
     */
    const fetcher = (
      urls: string[],
      answers: Record<string, [number, string]>,
      options: Partial<CrlFetchOptions> = {},
    ) =>
      new CrlFetcher({
        urls,
        intervalMs: 1000,
        crlFile,
        caFile: tls.caFile,
        store,
        fetch: fakeFetch(answers),
        ...options,
      });
    return { dir, certDir, crlFile, tls, store, first, fetcher, [Symbol.asyncDispose]: remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** A fetch that answers from a table of URL to [status, body]. */
function fakeFetch(answers: Record<string, [number, string]>): typeof fetch {
  return (input) => {
    const answer = answers[String(input)];
    if (!answer) return Promise.reject(new TypeError("connection refused"));
    return Promise.resolve(new Response(answer[1], { status: answer[0] }));
  };
}

Deno.test("CrlFetcher applies a newer CRL of the CA through the store, and keeps it in crl_file", async () => {
  await using lab = await fleet();
  const { dir, certDir, crlFile, store } = lab;
  const revoked = await revokeCertificate({ certDir, name: "client" });
  const second = await Deno.readTextFile(revoked.crl.crlFile);
  assert.equal(store.isRevoked(revoked.serialHex), false);
  const changes: string[] = [];
  store.onChange((_, change) => changes.push(change.after.revocation?.pem ?? ""));
  const fetcher = lab.fetcher(["http://a.invalid/crl", "http://b.invalid/crl"], {
    "http://b.invalid/crl": [200, second],
  });
  const round = await fetcher.refresh();
  assert.equal(round.result, "applied", JSON.stringify(round));
  assert.equal(store.isRevoked(revoked.serialHex), true, "the revocation applies at once");
  assert.deepEqual(changes, [second], "the store's listeners heard of it");
  assert.equal(await Deno.readTextFile(crlFile), second);
  assert.deepEqual(fetcher.counters, { ok: 1, failed: 1, applied: 1 });
  assert.ok(fetcher.lastGood instanceof Date);
  const age = fetcher.ageSeconds();
  // thisUpdate is set a few minutes back (clock skew), so the age starts there.
  assert.ok(age !== undefined && age >= 0 && age < 600, `age ${age}`);
  assert.deepEqual(await fetcher.refresh(), { result: "unchanged", url: "http://b.invalid/crl" });
  assert.deepEqual([...Deno.readDirSync(`${dir}/state`)].map((e) => e.name), ["ca.crl"]);
});

Deno.test("CrlFetcher keeps the last good CRL on an older list, another CA's, garbage or an error", async () => {
  await using lab = await fleet();
  const { dir, certDir, crlFile, store, first } = lab;
  const second = await Deno.readTextFile(
    (await revokeCertificate({ certDir, name: "client" })).crl.crlFile,
  );
  await issueCaWithClients(`${dir}/other`, "198.18.0.9", ["client"]);
  const foreign = await Deno.readTextFile(
    (await refreshRevocationList({ certDir: `${dir}/other` })).crlFile,
  );
  const url = "http://a.invalid/crl";
  const fetcher = (answer: [number, string]) =>
    lab.fetcher([url], { [url]: answer }, { maxBytes: 64 * 1024 });
  assert.equal((await fetcher([200, second]).refresh()).result, "applied");
  const problems = async (answer: [number, string]) => {
    const round = await fetcher(answer).refresh();
    assert.equal(round.result, "failed");
    return round.result === "failed" ? round.problems.join("; ") : "";
  };
  assert.match(await problems([200, first]), /CRL number 2 is below 3 of the list in use/);
  assert.match(
    await problems([200, foreign]),
    /^http:\/\/a.invalid\/crl: the CRL is issued by "CN=SSSonector CA [0-9A-F]{8}", not by the CA in /,
  );
  assert.match(await problems([200, "hello"]), /not a PEM file/);
  assert.match(await problems([500, "oops"]), /answered 500/);
  assert.match(await problems([200, "x".repeat(70 * 1024)]), /more than 65536 bytes/);
  assert.equal(await Deno.readTextFile(crlFile), second, "crl_file still holds the good list");
  assert.equal(store.state().revocation?.number, 3n);
  assert.deepEqual([...Deno.readDirSync(`${dir}/state`)].map((e) => e.name), ["ca.crl"]);
});

Deno.test("olderThan() compares CRL numbers, else issue times (the store's rule)", () => {
  const t = (ms: number) => new Date(ms);
  assert.equal(olderThan({ number: 3n, thisUpdate: t(0) }, undefined), undefined);
  assert.equal(
    olderThan({ number: 4n, thisUpdate: t(0) }, { number: 3n, thisUpdate: t(9) }),
    undefined,
  );
  assert.match(
    olderThan({ number: 3n, thisUpdate: t(0) }, { number: 3n, thisUpdate: t(9) })!,
    /issued before/,
  );
  assert.match(
    olderThan({ number: 2n, thisUpdate: t(9) }, { number: 3n, thisUpdate: t(0) })!,
    /below/,
  );
  assert.match(
    olderThan({ number: undefined, thisUpdate: t(1) }, { number: 3n, thisUpdate: t(2) })!,
    /issued before/,
  );
});

Deno.test("CrlFetcher.start() fetches at once and then every interval until stop()", async () => {
  await using lab = await fleet();
  const { crlFile, tls, store, first } = lab;
  let calls = 0;
  const rounds: string[] = [];
  const fetcher = new CrlFetcher({
    urls: ["http://a.invalid/crl"],
    intervalMs: 20,
    crlFile,
    caFile: tls.caFile,
    store,
    fetch: () => {
      calls++;
      return Promise.resolve(new Response(first));
    },
    onRound: (round) => rounds.push(round.result),
  });
  fetcher.start();
  while (rounds.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
  await fetcher.stop();
  const after = calls;
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(calls, after, "no fetch after stop()");
  assert.deepEqual(rounds.slice(0, 3), ["unchanged", "unchanged", "unchanged"]);
});

Deno.test("CrlFetcher: a list the store refuses (it revokes our own certificate) leaves crl_file as it was", async () => {
  await using lab = await fleet();
  const { dir, certDir, crlFile, store, first } = lab;
  const own = await Deno.readTextFile(
    (await revokeCertificate({ certDir, name: "server" })).crl.crlFile,
  );
  const fetcher = lab.fetcher(["http://a.invalid/crl"], { "http://a.invalid/crl": [200, own] });
  const round = await fetcher.refresh();
  assert.equal(round.result, "failed");
  assert.match(JSON.stringify(round), /server\.crt: certificate serial \w+ is revoked/);
  assert.equal(await Deno.readTextFile(crlFile), first);
  assert.equal(store.state().revocation?.pem, first);
  assert.deepEqual([...Deno.readDirSync(`${dir}/state`)].map((e) => e.name), ["ca.crl"]);
});

Deno.test("CrlFetcher says which folder must be writable when it cannot store the list", async () => {
  await using lab = await fleet();
  const { dir, certDir } = lab;
  const second = await Deno.readTextFile(
    (await revokeCertificate({ certDir, name: "client" })).crl.crlFile,
  );
  const fetcher = lab.fetcher(["http://a.invalid/crl"], {
    "http://a.invalid/crl": [200, second],
  }, { crlFile: `${dir}/missing-folder/ca.crl` });
  const round = await fetcher.refresh();
  assert.equal(round.result, "failed");
  assert.match(
    JSON.stringify(round),
    /cannot write .*missing-folder\/\.ca\.crl\.fetched: .*must be writable by the user the tunnel runs as/,
  );
});
