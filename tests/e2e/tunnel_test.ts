/**
 * End-to-end tests of the tunnel: real `sssonector` processes started through the launcher in
 * network namespaces, real TUN devices, real TLS on a veth link. Each test builds its own lab and
 * removes it (namespaces, processes, files) however it ends. Needs root; skipped otherwise.
 */

import assert from "node:assert/strict";
import { type LabHost, run } from "../../tools/lab/netns_lab.ts";
import type { TunnelProcess } from "../../tools/lab/tunnel_process.ts";
import {
  CLIENT_TUNNEL_IP,
  containsBytes,
  E2eLab,
  LAB_TAG_PREFIX,
  runCli,
  SERVER_TUNNEL_IP,
  shareKeysWithRunGroup,
  TEMP_PREFIX,
  TempCertificates,
  TUNNEL_PORT,
} from "../lib/e2e_lab.ts";

const ignore = Deno.uid() !== 0;
/** This checkout's probe: another checkout's tests on the same machine run their own. */
const PROBE = new URL("../lib/e2e_probe.ts", import.meta.url).pathname;

interface IpLink {
  ifname: string;
  mtu: number;
  flags: string[];
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
  linkinfo?: { info_kind?: string; info_data?: { vnet_hdr?: boolean } };
}

/** The exit code once the process has ended; fails when it runs on past timeoutMs. */
async function exitCode(process: TunnelProcess, timeoutMs = 15_000): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    process.child.status,
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs))),
  ]);
  clearTimeout(timer);
  assert.ok(status, `process still running ${timeoutMs} ms later`);
  return status.code;
}

/** Whether the process is still running. */
async function running(process: TunnelProcess): Promise<boolean> {
  const marker = Symbol();
  return await Promise.race([process.child.status, Promise.resolve(marker)]) === marker;
}

Deno.test({
  name: "tun0 comes up on both sides with the configured address, prefix and MTU",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("up");
    // 1400 is not the default, so finding it on the device shows the setting was applied.
    const configs = await lab.configs({ mtu: 1400 });
    await lab.startServer(configs);
    await lab.startClient(configs);
    const sides = [[lab.server, SERVER_TUNNEL_IP], [lab.client, CLIENT_TUNNEL_IP]] as const;
    for (const [host, ip] of sides) {
      const [addr] = await lab.ipJson(host, ["addr", "show", "tun0"]) as IpLink[];
      assert.ok(addr, `tun0 missing in ${host.ns}`);
      assert.equal(addr.mtu, 1400, `MTU of tun0 in ${host.ns}`);
      assert.ok(addr.flags.includes("UP"), `tun0 in ${host.ns} is not up: ${addr.flags}`);
      const inet = (addr.addr_info ?? []).filter((a) => a.family === "inet");
      assert.deepEqual(inet.map((a) => `${a.local}/${a.prefixlen}`), [`${ip}/24`]);
      const [link] = await lab.ipJson(host, ["-d", "link", "show", "tun0"]) as IpLink[];
      assert.equal(link?.mtu, 1400);
      assert.equal(link?.linkinfo?.info_kind, "tun");
    }
  },
});

Deno.test({
  name: "ping works both ways through the tunnel",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("ping");
    const configs = await lab.configs();
    await lab.startServer(configs);
    await lab.startClient(configs);
    const toServer = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 5 });
    assert.ok(toServer.ok, toServer.output);
    const toClient = await lab.ping(lab.server, CLIENT_TUNNEL_IP, { count: 5 });
    assert.ok(toClient.ok, toClient.output);
  },
});

const TRANSFER_BYTES = 64 * 1024 * 1024;

/** Sends TRANSFER_BYTES over one TCP connection to `toIp`; returns what each end reports. */
async function transfer(lab: E2eLab, from: LabHost, to: LabHost, toIp: string, seed: number) {
  const port = "5001";
  const receiver = lab.spawnProbe(to, ["recv", port, "60000"]);
  await receiver.ready;
  const sent = await lab.probe(from, [
    "send",
    toIp,
    port,
    String(TRANSFER_BYTES),
    String(seed),
    "10000",
  ]);
  return { sent, received: await receiver.done };
}

for (const offload of [true, false]) {
  Deno.test({
    name: `64 MiB cross the tunnel unchanged over TCP both ways (network.offload: ${offload})`,
    ignore,
    async fn() {
      await using lab = await E2eLab.create(offload ? "bulk" : "bulkplain");
      // Offload on is the default: that run leaves the key out of the files.
      const configs = await lab.configs(offload ? {} : { offload: false });
      await lab.startServer(configs);
      await lab.startClient(configs);

      const up = await transfer(lab, lab.client, lab.server, SERVER_TUNNEL_IP, 1);
      assert.equal(up.sent.bytes, TRANSFER_BYTES);
      assert.deepEqual(up.received, up.sent, "client -> server: bytes or SHA-256 differ");
      const down = await transfer(lab, lab.server, lab.client, CLIENT_TUNNEL_IP, 2);
      assert.equal(down.sent.bytes, TRANSFER_BYTES);
      assert.deepEqual(down.received, down.sent, "server -> client: bytes or SHA-256 differ");
      assert.notEqual(up.sent.sha256, down.sent.sha256, "the two directions carry different data");

      // The run must have used the data path it is named for: IFF_VNET_HDR shows as vnet_hdr.
      for (const host of [lab.server, lab.client]) {
        const [link] = await lab.ipJson(host, ["-d", "link", "show", "tun0"]) as IpLink[];
        assert.equal(
          link?.linkinfo?.info_data?.vnet_hdr,
          offload,
          `network.offload is ${offload} but tun0 in ${host.ns} has vnet_hdr ` +
            `${link?.linkinfo?.info_data?.vnet_hdr}: the setting is not applied to the device`,
        );
      }
    },
  });
}

Deno.test({
  name: "a marker sent through the tunnel never appears in clear on the veth link",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("clear");
    const configs = await lab.configs();
    await lab.startServer(configs);
    await lab.startClient(configs);
    const marker = `SSS-MARKER-${crypto.randomUUID().replaceAll("-", "").slice(0, 21)}`;
    assert.equal(marker.length, 32);
    const markerBytes = new TextEncoder().encode(marker);

    const vethFile = `${lab.dir}/veth.pcap`;
    const tunFile = `${lab.dir}/tun.pcap`;
    const veth = await lab.capture(lab.server, lab.server.veth, vethFile);
    const tun = await lab.capture(lab.server, "tun0", tunFile);
    // Both directions: client -> server and server -> client, several datagrams each.
    await lab.probe(lab.client, ["udp", SERVER_TUNNEL_IP, "9999", marker, "5"]);
    await lab.probe(lab.server, ["udp", CLIENT_TUNNEL_IP, "9999", marker, "5"]);
    const onVeth = await veth.stop();
    const onTun = await tun.stop();

    const tls = await lab.readCapture(vethFile, [
      `tcp port ${TUNNEL_PORT} and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)`,
    ]);
    assert.ok(tls.length >= 10, `expected TLS records on port ${TUNNEL_PORT}, got:\n${tls}`);
    assert.deepEqual(await lab.readCapture(vethFile, ["udp port 9999"]), []);
    assert.equal(containsBytes(onVeth, markerBytes), false, "marker seen in clear on the veth");
    // Control: the same capture method does see the marker where it is in clear.
    assert.equal(containsBytes(onTun, markerBytes), true, "marker not seen on tun0");
    const tunUdp = await lab.readCapture(tunFile, ["udp port 9999"]);
    assert.equal(tunUdp.length, 10, tunUdp.join("\n"));
  },
});

Deno.test({
  name: "a client whose certificate comes from another CA is refused, told why, and passes nothing",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("otherca");
    // A second CA with its own client certificate. The client trusts both CAs, so it accepts the
    // server and passes its own start-up checks; the server trusts only its CA.
    const otherDir = `${lab.dir}/other`;
    await lab.issue({ certDir: otherDir, serverIp: lab.server.ip, clientName: "client" });
    const mixedDir = `${lab.dir}/mixed`;
    await Deno.mkdir(mixedDir);
    const bundle = (await Deno.readTextFile(`${lab.certDir}/ca.crt`)) +
      (await Deno.readTextFile(`${otherDir}/ca.crt`));
    await Deno.writeTextFile(`${mixedDir}/ca.crt`, bundle);
    for (const file of ["client.crt", "client.key"]) {
      await Deno.copyFile(`${otherDir}/${file}`, `${mixedDir}/${file}`);
    }
    // A copy is root's group: give the key to the run group again, or the start refuses it.
    await shareKeysWithRunGroup(mixedDir);
    const configs = await lab.configs();
    const foreign = await lab.configs({ certDir: mixedDir });
    const server = await lab.startServer(configs);
    const client = lab.start(lab.client, foreign.clientConfig, foreign.clientLog);
    await server.waitForLog(/TLS handshake with .* failed: .*/);
    // Let it try (and be refused) more than once.
    await client.waitForLog(
      /WARN .*(cannot connect|disconnected)[\s\S]*WARN .*(cannot connect|disconnected)/,
    );

    const ping = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 2 });
    assert.equal(ping.ok, false, `ping passed the tunnel:\n${ping.output}`);
    const serverLog = await server.log();
    const clientSays = (await client.log()) + (await running(client) ? "" : await client.stderr());
    assert.doesNotMatch(serverLog, /authenticated as/);
    assert.deepEqual(
      {
        serverLogsFailureWithPeer: /TLS handshake with 198\.18\.0\.2:\d+ failed/.test(serverLog),
        serverNamesTheCa: /TLS handshake with .* failed: .*not signed by our CA/.test(serverLog),
        clientNamesTheCa: /not signed by our CA/.test(clientSays),
      },
      { serverLogsFailureWithPeer: true, serverNamesTheCa: true, clientNamesTheCa: true },
      `server log:\n${serverLog}\nclient log and stderr:\n${clientSays}`,
    );
  },
});

Deno.test({
  name:
    "the server's TLS layer refuses a client certificate from our CA whose EKU lacks clientAuth",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("eku");
    await lab.issueWithOpenssl(lab.certDir, "serveronly", "serverAuth");
    await lab.issueWithOpenssl(lab.certDir, "goodeku", "clientAuth");
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    const dial = (name: string) =>
      lab.probe(lab.client, [
        "tls",
        lab.server.ip,
        String(TUNNEL_PORT),
        `${lab.certDir}/${name}.crt`,
        `${lab.certDir}/${name}.key`,
        `${lab.certDir}/ca.crt`,
        "",
        "2000",
      ]);

    // sssonector's own client refuses that certificate before dialling, so a raw TLS client
    // presents it: only the server's TLS layer stands between it and a session.
    const refused = await dial("serveronly");
    await server.waitForLog(/TLS handshake with .* failed: .*/);
    assert.equal(
      refused.closedByServer,
      true,
      `the server kept the connection: ${JSON.stringify(refused)}`,
    );
    assert.doesNotMatch(await server.log(), /authenticated as serveronly/);

    // Control: the same openssl recipe with EKU clientAuth is accepted.
    const accepted = await dial("goodeku");
    await server.waitForLog(/authenticated as goodeku/);
    assert.equal(accepted.closedByServer, false, JSON.stringify(accepted));

    // And sssonector's own client says why it will not use the certificate.
    const own = await lab.configs({ clientName: "serveronly" });
    const client = lab.start(lab.client, own.clientConfig, own.clientLog);
    assert.equal(await exitCode(client), 2);
    assert.match(await client.stderr(), /serveronly\.crt: .*extendedKeyUsage lacks clientAuth/);
  },
});

Deno.test({
  name: "a client refuses a server certificate that does not name the dialled IP",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("name");
    // A CA whose server certificate is for 198.18.0.99, while the client dials 198.18.0.1.
    const wrongDir = `${lab.dir}/wrong`;
    await lab.issue({ certDir: wrongDir, serverIp: "198.18.0.99", clientName: "client" });
    const configs = await lab.configs({ certDir: wrongDir });
    const server = await lab.startServer(configs);
    const client = lab.start(lab.client, configs.clientConfig, configs.clientLog);
    const reason = await client.waitForLog(/WARN .*cannot connect.*/);
    assert.match(
      reason,
      /cannot connect to 198\.18\.0\.1:443: the server certificate does not name the address dialled/,
    );
    const ping = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 2 });
    assert.equal(ping.ok, false, ping.output);
    // The server may see a complete handshake (the client's certificate is fine) before the
    // client checks the name and hangs up, but no session may open.
    assert.doesNotMatch(await server.log(), / is 10\.0\.0\.2/);
    assert.doesNotMatch(await client.log(), /connected to/);
  },
});

Deno.test({
  name:
    "two clients with their own certificates and addresses share one server; a taken address is refused",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("multi");
    for (const name of ["web2", "web3"]) {
      const issued = await runCli([
        "--generate-certs",
        "--cert-dir",
        lab.certDir,
        "--client-name",
        name,
      ]);
      assert.equal(issued.code, 0, issued.stderr);
      assert.match(issued.stdout, new RegExp(`wrote .*${name}\\.crt`));
      assert.match(issued.stdout, /issued from the existing CA/);
    }
    const first = await lab.configs();
    const second = await lab.configs({ clientName: "web2", clientAddress: "10.0.0.3/24" });
    const thief = await lab.configs({ clientName: "web3", clientAddress: "10.0.0.2/24" });
    const secondHost = await lab.addHost();
    const thiefHost = await lab.addHost();

    const server = await lab.startServer(first);
    await lab.startClient(first);
    await lab.startClient(second, secondHost);
    for (const [host, address] of [[lab.client, "10.0.0.2"], [secondHost, "10.0.0.3"]] as const) {
      const up = await lab.ping(host, SERVER_TUNNEL_IP);
      assert.ok(up.ok, `${address} -> server:\n${up.output}`);
      const down = await lab.ping(lab.server, address);
      assert.ok(down.ok, `server -> ${address}:\n${down.output}`);
    }
    await server.waitForLog(/client client \(.*\) is 10\.0\.0\.2/);
    await server.waitForLog(/client web2 \(.*\) is 10\.0\.0\.3/);

    const refused = lab.start(thiefHost, thief.clientConfig, thief.clientLog);
    await refused.waitForLog(/in use/);
    await server.waitForLog(/client web3 .*disconnected: address 10\.0\.0\.2 is in use/);
    assert.doesNotMatch(await refused.log(), /connected to/);
    // The owner of 10.0.0.2 keeps its address.
    const still = await lab.ping(lab.server, CLIENT_TUNNEL_IP);
    assert.ok(still.ok, still.output);
  },
});

Deno.test({
  name: "the server drops packets whose source is not the client's tunnel address",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("spoof");
    const configs = await lab.configs();
    await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.net.exec(lab.client, "ip", ["addr", "add", "10.0.0.77/32", "dev", "tun0"]);
    const file = `${lab.dir}/tun.pcap`;
    const capture = await lab.capture(lab.server, "tun0", file, ["icmp"]);
    const spoofed = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 3, from: "10.0.0.77" });
    const normal = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 3 });
    await capture.stop();
    assert.equal(spoofed.ok, false, `spoofed ping answered:\n${spoofed.output}`);
    assert.match(spoofed.output, / 0 received/);
    assert.ok(normal.ok, normal.output);
    // No reply could come anyway (the server routes 10.0.0.77 nowhere), so look at the server's
    // tun0: the spoofed requests must never have reached it, while the normal ones did.
    assert.deepEqual(await lab.readCapture(file, ["src host 10.0.0.77"]), []);
    const delivered = await lab.readCapture(file, ["src host 10.0.0.2 and icmp[icmptype] = 8"]);
    assert.equal(delivered.length, 3, delivered.join("\n"));
  },
});

Deno.test({
  name:
    "a client reconnects by itself after the server restarts, and exits 0 removing tun0 on SIGTERM",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("restart");
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    const client = await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP, 5_000);

    assert.equal((await server.stop()).code, 0, "server exit code on SIGTERM");
    await client.waitForLog(/disconnected from 198\.18\.0\.1:443/);
    assert.equal(await lab.hasLink(lab.server, "tun0"), false, "the stopped server left tun0");
    const down = await lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 1 });
    assert.equal(down.ok, false, down.output);

    // Same settings, a fresh log file, so waiting for its lines cannot match the first run's.
    const again = await lab.configs();
    await lab.startServer(again);
    const tookMs = await lab.waitForPing(lab.client, SERVER_TUNNEL_IP, 15_000);
    const connects = (await client.log()).match(/connected to 198\.18\.0\.1:443/g) ?? [];
    assert.equal(connects.length, 2, `expected a reconnect in:\n${await client.log()}`);
    console.log(`ping through the tunnel again ${tookMs} ms after the server restarted`);

    assert.equal(await lab.hasLink(lab.client, "tun0"), true);
    assert.equal((await client.stop()).code, 0, "client exit code on SIGTERM");
    assert.equal(await lab.hasLink(lab.client, "tun0"), false, "the stopped client left tun0");
    assert.match(await client.log(), /stopped/);
  },
});

Deno.test({
  name:
    "garbage from an authenticated peer closes only its session; the server and other clients go on",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("garbage");
    await lab.issue({ certDir: lab.certDir, clientName: "raw" });
    const configs = await lab.configs();
    const server = await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP, 5_000);

    // The good client pings all along, while a raw TLS connection with a valid certificate
    // sends bytes that are no frame (0xde is no frame type).
    const pinging = lab.ping(lab.client, SERVER_TUNNEL_IP, { count: 15 });
    const garbage = "deadbeef".repeat(64);
    const raw = await lab.probe(lab.client, [
      "tls",
      lab.server.ip,
      String(TUNNEL_PORT),
      `${lab.certDir}/raw.crt`,
      `${lab.certDir}/raw.key`,
      `${lab.certDir}/ca.crt`,
      garbage,
      "5000",
    ]);
    assert.equal(raw.secure, true, `the raw client was not let in: ${JSON.stringify(raw)}`);
    assert.equal(raw.closedByServer, true, "the server kept the garbage session open");
    await server.waitForLog(/closing session with 198\.18\.0\.2:\d+: protocol error: .*0xde/);
    await server.waitForLog(/client raw .*disconnected/);

    const pings = await pinging;
    assert.ok(pings.ok, `the good client lost pings:\n${pings.output}`);
    assert.equal(await running(server), true, "the server exited");
    const after = await lab.ping(lab.server, CLIENT_TUNNEL_IP);
    assert.ok(after.ok, after.output);
    assert.doesNotMatch(await server.log(), /client client .*disconnected/);
  },
});

Deno.test({
  name: "configuration and certificate errors exit 2 with one clear line each and no stack trace",
  ignore,
  async fn() {
    await using lab = await TempCertificates.create();
    const certs = lab.certDir;
    const serverYaml = (extra: { certFile?: string; network?: string } = {}) =>
      `mode: server
listen: 198.18.0.1:443
address: 10.0.0.1/24
network:
${extra.network ?? "  mtu: 1400"}
security:
  tls:
    cert_file: ${extra.certFile ?? `${certs}/server.crt`}
    key_file: ${certs}/server.key
    ca_file: ${certs}/ca.crt
`;
    const write = async (name: string, text: string) => {
      const path = `${lab.dir}/${name}`;
      await Deno.writeTextFile(path, text);
      return path;
    };
    const typo = await write("bad.yaml", serverYaml({ network: "  mtuu: 1400" }));
    const missing = await write("missing.yaml", serverYaml({ certFile: `${certs}/nosuch.crt` }));
    const good = await write("good.yaml", serverYaml());

    const typoRun = await runCli(["-config", typo]);
    assert.equal(typoRun.code, 2, typoRun.stderr);
    const lines = typoRun.stderr.trim().split("\n");
    assert.equal(lines.length, 1, typoRun.stderr);
    assert.match(lines[0]!, /network\.mtuu \(line 5\)/);
    assert.match(lines[0]!, /did you mean "mtu"\?/);

    const missingRun = await runCli(["-config", missing]);
    assert.equal(missingRun.code, 2, missingRun.stderr);
    assert.match(missingRun.stderr, /security\.tls\.cert_file .*nosuch\.crt.*not found/);

    const check = await runCli(["--check-config", "-config", good]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /mtu: 1400/);

    for (const result of [typoRun, missingRun, check]) {
      assert.doesNotMatch(result.stderr, /^\s{4}at /m, `stack trace printed:\n${result.stderr}`);
    }
  },
});

// Last in the file, so it runs after every other test of this process.
Deno.test({
  name: "the tests above leave no namespace, process or temporary folder behind",
  ignore,
  async fn() {
    const ours = new RegExp(`^sss-${LAB_TAG_PREFIX}[a-z]*${Deno.pid % 100000}\\d+-`);
    const namespaces = (await run("ip", ["netns", "list"])).stdout.split("\n")
      .map((line) => line.split(" ")[0] ?? "")
      .filter((name) => ours.test(name));
    assert.deepEqual(namespaces, []);
    const processes = (await run("ps", ["-eo", "pid,args"])).stdout.split("\n")
      .filter((line) => line.includes(TEMP_PREFIX) || line.includes(PROBE));
    assert.deepEqual(processes, []);
    const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
    const folders = [];
    for await (const entry of Deno.readDir(tmp)) {
      if (entry.name.startsWith(TEMP_PREFIX)) folders.push(entry.name);
    }
    assert.deepEqual(folders, []);
  },
});
