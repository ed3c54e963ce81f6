/**
 * The client through a real HTTP proxy (tinyproxy from Debian) that allows CONNECT only to port
 * 443 and wants Basic credentials; the client's direct way to the server is blocked, so the
 * tunnel can only come up through the proxy. Then the refusals: wrong credentials (tinyproxy
 * answers 401 where the standard says 407) and a
 * server port the proxy does not allow (403), each one line in the client's log.
 */
import assert from "node:assert/strict";
import { E2eLab, SERVER_TUNNEL_IP, TUNNEL_PORT } from "../lib/e2e_lab.ts";

const PROXY_PORT = 3128;

async function startProxy(lab: E2eLab): Promise<Deno.ChildProcess> {
  const conf = `${lab.dir}/tinyproxy.conf`;
  await Deno.writeTextFile(
    conf,
    [
      `Port ${PROXY_PORT}`,
      `Listen ${lab.server.ip}`,
      "User nobody",
      "Group nogroup",
      "Timeout 30",
      "MaxClients 10",
      "Allow 198.18.0.0/24",
      "ConnectPort 443",
      "BasicAuth ann s3cret",
      "LogLevel Info",
      `PidFile "${lab.dir}/tinyproxy.pid"`,
      "",
    ].join("\n"),
  );
  const proxy = lab.net.spawn(lab.server, "tinyproxy", ["-d", "-c", conf], { stderr: "piped" });
  for (let i = 0; i < 100; i++) {
    const listening = await lab.net.try(lab.server, "ss", ["-Hltn", `sport = :${PROXY_PORT}`]);
    if (listening.stdout.trim() !== "") return proxy;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("tinyproxy did not start listening within 5 s");
}

Deno.test({
  name: "the client reaches its server through tinyproxy with Basic credentials; 407 and 403 " +
    "are told in one line each",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("proxy");
    const proxy = await startProxy(lab);
    try {
      // The client host may not reach the tunnel port directly: only the proxy can.
      await lab.net.exec(lab.client, "nft", [
        "add table inet direct; add chain inet direct output { type filter hook output priority 0; }; " +
        `add rule inet direct output ip daddr ${lab.server.ip} tcp dport ${TUNNEL_PORT} reject`,
      ]);
      const good = `${lab.dir}/proxy.cred`;
      await Deno.writeTextFile(good, "ann\ns3cret\n", { mode: 0o600 });
      const bad = `${lab.dir}/wrong.cred`;
      await Deno.writeTextFile(bad, "ann\nguess\n", { mode: 0o600 });
      const proxyUrl = `http://${lab.server.ip}:${PROXY_PORT}`;

      const configs = await lab.configs({
        clientExtra: `proxy:\n  url: ${proxyUrl}\n  credentials_file: ${good}\n`,
      });
      const server = await lab.startServer(configs);
      const client = await lab.startClient(configs);
      await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
      // The server sees the proxy's address, not the client's.
      await server.waitForLog(
        new RegExp(`client ${lab.server.ip.replaceAll(".", "\\.")}:\\d+ authenticated as client`),
      );
      await client.stop();

      const wrong = await lab.configs({
        clientExtra: `proxy:\n  url: ${proxyUrl}\n  credentials_file: ${bad}\n`,
      });
      const refused = lab.start(lab.client, wrong.clientConfig, wrong.clientLog);
      const line = await refused.waitForLog(/[^\n]*refused the credentials[^\n]*/);
      assert.match(
        line,
        new RegExp(
          `the proxy ${lab.server.ip}:${PROXY_PORT} refused the credentials in ` +
            `${bad.replaceAll(".", "\\.")} \\(40[17][^)]*\\); check them`,
        ),
      );
      await refused.stop();

      const otherPort = await lab.configs({
        clientExtra: `proxy:\n  url: ${proxyUrl}\n  credentials_file: ${good}\n`,
      });
      const text = await Deno.readTextFile(otherPort.clientConfig);
      await Deno.writeTextFile(
        otherPort.clientConfig,
        text.replace(`server: ${lab.server.ip}:${TUNNEL_PORT}`, `server: ${lab.server.ip}:8443`),
      );
      const forbidden = lab.start(lab.client, otherPort.clientConfig, otherPort.clientLog);
      const forbiddenLine = await forbidden.waitForLog(/[^\n]*does not allow CONNECT[^\n]*/);
      assert.match(forbiddenLine, /does not allow CONNECT to 198\.18\.0\.1:8443 \(403[^)]*\)/);
      await forbidden.stop();
      await server.stop();
    } finally {
      await lab.net.stop(proxy, 2000);
    }
  },
});
