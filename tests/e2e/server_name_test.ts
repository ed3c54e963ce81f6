/**
 * Names that move: the client's `server:` is a name, looked up at every dial through the system's
 * resolver (here a hosts file of the client's namespace, which `ip netns exec` mounts over
 * /etc/hosts). The name first has a dead address and a live one: Happy Eyeballs reaches the live
 * one without waiting for the dead one. Then the name moves to another address of the server,
 * and the next dial goes there; the log says which address answered each time.
 */
import assert from "node:assert/strict";
import { E2eLab, SERVER_TUNNEL_IP, shareKeysWithRunGroup, TUNNEL_PORT } from "../lib/e2e_lab.ts";
import { generateCertificates } from "../../src/pki/generate.ts";

const NAME = "vpn.sssonector.test";
const MOVED = "198.18.0.3";

Deno.test({
  name: "a server name is resolved at every dial, all its addresses raced, and the log names " +
    "the address that answered",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("name");
    const hostsDir = `/etc/netns/${lab.client.ns}`;
    try {
      const certDir = `${lab.dir}/named`;
      await generateCertificates({
        certDir,
        serverIp: lab.server.ip,
        serverNames: [NAME],
        clientName: "client",
        days: 1,
        keyType: "ecdsa-p256",
        force: false,
      });
      await shareKeysWithRunGroup(certDir);
      await lab.net.exec(lab.server, "ip", ["addr", "add", `${MOVED}/24`, "dev", lab.server.veth]);
      await Deno.mkdir(hostsDir, { recursive: true });
      // 198.18.0.99 answers nothing (no host has it): an attempt there hangs.
      await Deno.writeTextFile(
        `${hostsDir}/hosts`,
        `198.18.0.99 ${NAME}\n${lab.server.ip} ${NAME}\n`,
      );
      const configs = await lab.configs({ certDir });
      for (
        const [file, from, to] of [
          [configs.serverConfig, `listen: ${lab.server.ip}:`, "listen: 0.0.0.0:"],
          [configs.clientConfig, `server: ${lab.server.ip}:`, `server: ${NAME}:`],
        ] as const
      ) {
        await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replace(from, to));
      }
      let server = await lab.startServer(configs);
      const client = await lab.startClient(configs);
      const first = await client.waitForLog(/connected to [^ ]+/);
      assert.equal(first, `connected to ${lab.server.ip}:${TUNNEL_PORT}`);
      // From the client's first dial, by its log's clock: the process's start-up (seconds on a
      // busy machine) is not the dial.
      const log = await client.log();
      const at = (what: RegExp) =>
        Date.parse(new RegExp(`^(\\S+) .*${what.source}`, "m").exec(log)![1]!);
      const seconds = (at(/connected to /) - at(/connecting to /)) / 1000;
      assert.ok(seconds < 5, `the dead address held the dial for ${seconds.toFixed(1)} s`);
      await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);

      // The name moves; the server restarts; the client's next dial looks the name up again.
      await Deno.writeTextFile(`${hostsDir}/hosts`, `${MOVED} ${NAME}\n`);
      await server.stop();
      server = await lab.startServer(configs);
      await client.waitForLog(
        new RegExp(`connected to ${MOVED.replaceAll(".", "\\.")}:${TUNNEL_PORT}`),
        30_000,
      );
      await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
      await client.stop();
      await server.stop();
    } finally {
      await Deno.remove(hostsDir, { recursive: true }).catch(() => {});
    }
  },
});
