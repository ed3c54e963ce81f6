/**
 * A client certificate made to be expensive (OpenSSL CVE-2022-0778 hung servers while parsing a
 * certificate, before any verification): a chain of 50 intermediates, a 16384-bit RSA key, 3000
 * names, a certificate of about 50 KiB and one past 64 KiB, all issued by the server's own CA
 * with real openssl, and a stranger's self-signed one with 3000 names. Each is presented ATTEMPTS times with openssl s_client; the server's CPU per
 * attempt is measured, and the other client's pings must all be answered. What bounds each is
 * docs/security/door.md's "Expensive certificates".
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { E2eLab, SERVER_TUNNEL_IP, TUNNEL_PORT } from "../lib/e2e_lab.ts";
import { cpuSeconds } from "../lib/proc_stats.ts";
import { costlyCertificates } from "../lib/costly_certs.ts";
import { parsePing } from "../../tools/lab/ping.ts";
import { ALPN_PROTOCOL } from "../../src/transport/tls_options.ts";
import { MAX_PEER_CERTIFICATE_BYTES } from "../../src/pki/limits.ts";

const root = Deno.uid() === 0;
const ATTEMPTS = 10;
/** CPU seconds the server may spend on one attempt (measured: a few ms; the bound is generous). */
const CPU_PER_ATTEMPT_MAX = 0.1;

Deno.test({
  name:
    "costly client certificates (50 intermediates, RSA 16384, 3000 names, 51 KiB, past 64 KiB) cost the server bounded CPU and nobody else anything",
  ignore: !root,
  sanitizeResources: false,
  async fn() {
    await using lab = await E2eLab.create("costly");
    const attacker = await lab.addHost();
    const certificates = await costlyCertificates(lab.certDir, join(lab.dir, "costly"));
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    const pid = server.child.pid;
    const rows = ["| certificate | DER bytes (chain) | server CPU per attempt | outcome |"];
    for (const certificate of certificates) {
      const pings = lab.net.try(lab.client, "ping", [
        ...["-n", "-c", "10", "-i", "0.2", "-W", "1", SERVER_TUNNEL_IP],
      ]);
      const cpuBefore = await cpuSeconds(pid);
      const logBefore = (await server.log()).length;
      for (let i = 0; i < ATTEMPTS; i++) {
        await lab.net.try(attacker, "openssl", [
          "s_client",
          ...["-connect", `${lab.server.ip}:${TUNNEL_PORT}`, "-tls1_3", "-alpn", ALPN_PROTOCOL],
          ...["-cert", certificate.cert, "-key", certificate.key],
          ...(certificate.chain ? ["-cert_chain", certificate.chain] : []),
        ]);
      }
      const cpu = ((await cpuSeconds(pid)) - cpuBefore) / ATTEMPTS;
      const ping = parsePing((await pings).stdout);
      const log = (await server.log()).slice(logBefore);
      const outcome = log.split("\n").find((line) => /certificate|refused|authenticated/.test(line))
        ?.replace(/^.*?(client|stranger|connection)/, "$1").slice(0, 120) ?? "(nothing logged)";
      rows.push(
        `| ${certificate.name} | ${certificate.certBytes} (${certificate.chainBytes}) | ` +
          `${(cpu * 1000).toFixed(1)} ms | ${outcome} |`,
      );
      console.log(rows.at(-1));
      assert.doesNotMatch(log, /authenticated as/, `${certificate.name} got in:\n${log}`);
      assert.ok(
        cpu < CPU_PER_ATTEMPT_MAX,
        `${certificate.name}: ${(cpu * 1000).toFixed(0)} ms of server CPU per attempt`,
      );
      assert.equal(ping.received, 10, `the other client's pings during ${certificate.name}`);
    }
    // Ours are under 2 KB: one over MAX_PEER_CERTIFICATE_BYTES is refused unparsed (the log
    // says so once a minute per address and kind, so once here).
    assert.match(
      await server.log(),
      new RegExp(`this server examines none over ${MAX_PEER_CERTIFICATE_BYTES}`),
    );
    // The server is still there and its client still passes traffic.
    assert.ok((await lab.ping(lab.client, SERVER_TUNNEL_IP)).ok, "the tunnel after the attempts");
    console.log(rows.join("\n"));
  },
});
