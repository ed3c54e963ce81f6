/**
 * One CRL for a fleet, in the pool lab (tests/lib/pool_lab.ts): server a publishes its CRL on
 * its monitoring endpoint (GET /crl); server b and the client fetch it from there
 * (security.tls.crl_urls, every 10 s). A client revoked on the CA host, with the new CRL copied
 * to server a alone and a SIGHUP, is cut there at once, then on b as soon as b has fetched the
 * list: it holds a session nowhere. Needs root and bird2.
 */
import assert from "node:assert/strict";
import { refreshRevocationList, revokeCertificate } from "../../src/pki/revoke.ts";
import { run, runOk } from "../../tools/lab/netns_lab.ts";
import { pollUntil } from "../lib/poll.ts";
import { CLIENT_LAN, PoolLab } from "../lib/pool_lab.ts";

const haveBird = (await run("sh", ["-c", "command -v bird"])).code === 0;
const asRoot = { ignore: Deno.uid() !== 0 || !haveBird };
const PUBLISHED = "http://10.77.2.11:9090/crl";
const PUBLISHED_WAN = "http://172.31.0.11:9090/crl";

Deno.test({
  name:
    "a CRL published on one pool server reaches the other and the client; the revoked client is cut on both",
  ...asRoot,
}, async () => {
  await using lab = await PoolLab.create({
    tls: (who, dir) =>
      `    crl_file: ${dir}/crl-${who}/ca.crl\n` +
      (who === "a"
        ? ""
        : `    crl_urls: [${who === "b" ? PUBLISHED : PUBLISHED_WAN}]\n    crl_refresh: 10\n`),
    serverExtra: (name) =>
      name === "a" ? "monitoring:\n  enabled: true\n  address: 0.0.0.0\n  port: 9090\n" : "",
  });
  const [a, b] = lab.servers;
  const caDir = `${lab.dir}/certs-a`;
  const first = await Deno.readTextFile((await refreshRevocationList({ certDir: caDir })).crlFile);
  for (const who of ["a", "b", "client"]) {
    const folder = `${lab.dir}/crl-${who}`;
    await Deno.mkdir(folder);
    await Deno.writeTextFile(`${folder}/ca.crl`, first);
    // b and the client write what they fetch here, as the run user.
    await runOk("chown", ["-R", "nobody:nogroup", folder]);
  }
  const serverA = await lab.startServer(a);
  const serverB = await lab.startServer(b);
  const client = await lab.startClient();
  await lab.waitForNextHop(CLIENT_LAN.v4, a.lan);

  // On the CA host: revoke; publish on server a only.
  const revoked = await revokeCertificate({ certDir: caDir, name: "client" });
  const second = await Deno.readTextFile(revoked.crl.crlFile);
  await Deno.writeTextFile(`${lab.dir}/crl-a/ca.crl`, second);
  serverA.child.kill("SIGHUP");
  await serverA.waitForLog(/certificates reloaded/);
  const served = await runOk("ip", [
    "netns",
    "exec",
    lab.router.ns,
    "curl",
    "-sf",
    PUBLISHED,
  ]);
  assert.equal(served, second, "server a serves the CRL in use on GET /crl");

  const applied = /CRL from (\S+) applied/;
  await serverB.waitForLog(applied, 25_000);
  assert.equal(applied.exec(await serverB.log())![1], PUBLISHED);
  assert.equal(
    await Deno.readTextFile(`${lab.dir}/crl-b/ca.crl`),
    second,
    "b keeps what it fetched",
  );
  // The client fetched it too, and learned that the list revokes its own certificate: its store
  // refuses that set, and its crl_file keeps the list in use.
  await client.waitForLog(/crl: .*client\.crt: certificate serial \S+ is revoked/, 25_000);
  assert.equal(await Deno.readTextFile(`${lab.dir}/crl-client/ca.crl`), first);

  // Cut on both: neither server holds a session or routes for it, and both refuse it.
  const refused = /refused: its certificate \S+ is revoked/;
  await serverA.waitForLog(refused, 20_000);
  await serverB.waitForLog(refused, 20_000);
  await pollUntil(async () => (await lab.nextHop(CLIENT_LAN.v4)) === "", "no route to the client", {
    timeoutMs: 10_000,
    intervalMs: 100,
  });
  for (const server of lab.servers) {
    assert.deepEqual(await lab.tunnelRoutes(server, "-4"), [], `server ${server.name} routes`);
  }
});
