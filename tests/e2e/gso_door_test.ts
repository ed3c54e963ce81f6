/**
 * A peer's offload header at the door of the kernel (native/vnet_header.c): an authenticated but
 * hostile client sends PacketGso frames with a tiny gso_size, wrong gso_types and offsets outside
 * its packets toward a LAN behind the server (site to site). The server drops them and counts them
 * as malformed; the LAN sees only the honest frames' segments, the kernel logs nothing, and the
 * other client's pings are untouched.
 */
import assert from "node:assert/strict";
import { E2eLab, SERVER_TUNNEL_IP, TUNNEL_PORT } from "../lib/e2e_lab.ts";
import { concat } from "../lib/bytes.ts";
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import { parsePing } from "../../tools/lab/ping.ts";
import {
  GSO_NONE,
  GSO_TCPV6,
  GSO_UDP,
  GSO_UDP_L4,
  type GsoPacketOptions,
  gsoPayload,
  UDP,
} from "../lib/vnet_frames.ts";

const root = Deno.uid() === 0;
const ATTACKER_ADDRESS = "10.0.0.3";
const MONITOR_PORT = 19090;

/** The kernel's log lines that would mean a bad skb reached it. */
const KERNEL_COMPLAINT = /WARNING|BUG|gso|skb|tun|virtio|segment/i;

async function dmesg(): Promise<string[]> {
  const out = await new Deno.Command("dmesg", { stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((line) => line !== "");
}

/** The hostile frames: each kind `copies` times, toward `destination` on the server's LAN. */
function hostileFrames(destination: string, copies: number): { bytes: Uint8Array; count: number } {
  const base = { source: ATTACKER_ADDRESS, destination };
  const kinds: GsoPacketOptions[] = [
    { ...base, payloadLength: 60000, gsoSize: 1 }, // 60,000 one-byte segments asked for
    { ...base, payloadLength: 60000, gsoSize: 8 },
    { ...base, payloadLength: 60000, gsoSize: 100 },
    { ...base, gsoType: GSO_TCPV6 },
    { ...base, gsoType: GSO_UDP_L4 },
    { ...base, proto: UDP, gsoType: GSO_UDP },
    { ...base, gsoType: 0x42 },
    { ...base, vnet: { csumStart: 60000 } },
    { ...base, vnet: { csumOffset: 65000 } },
    { ...base, vnet: { hdrLen: 65535, csumStart: 65535, csumOffset: 65535 } },
    { ...base, gsoType: GSO_NONE, vnet: { csumStart: 2, csumOffset: 65530 } },
    { ...base, vnet: { gsoSize: 0 } },
    { ...base, vnet: { flags: 0xff } },
  ];
  const frames: Uint8Array[] = [];
  for (let i = 0; i < copies; i++) {
    for (const kind of kinds) frames.push(encodeFrame(FrameType.PacketGso, gsoPayload(kind)));
  }
  return { bytes: concat(frames), count: frames.length };
}

/** An honest super-packet of 10 segments (13,000 bytes at gso_size 1,300). */
function honestFrame(destination: string): Uint8Array {
  return encodeFrame(
    FrameType.PacketGso,
    gsoPayload({ source: ATTACKER_ADDRESS, destination, payloadLength: 13000, gsoSize: 1300 }),
  );
}

Deno.test({
  name:
    "crafted PacketGso headers from an authenticated client are dropped and counted, never segmented toward the LAN",
  ignore: !root,
  async fn() {
    await using lab = await E2eLab.create("gsod");
    const lan = await lab.addLan(lab.server, 1);
    const attacker = await lab.addHost();
    await lab.issue({ certDir: lab.certDir, clientName: "mallory" });
    const configs = await lab.configs({
      serverExtra:
        `push_routes: [${lan.network}]\nmonitoring:\n  enabled: true\n  port: ${MONITOR_PORT}\n`,
    });
    // The server's end of the LAN segments in software, so its counters count wire packets.
    const gatewayEnd =
      (await lab.net.exec(lab.server, "ip", ["-o", "-4", "addr", "show", "to", "192.168.1.1"]))
        .split(/\s+/)[1]!;
    await lab.net.exec(lab.server, "ethtool", ["-K", gatewayEnd, "tso", "off", "gso", "off"]);
    const txPackets = async () => {
      const [link] = await lab.ipJson(lab.server, [
        "-s",
        "link",
        "show",
        "dev",
        gatewayEnd,
      ]) as Array<
        { stats64: { tx: { packets: number } } }
      >;
      return link!.stats64.tx.packets;
    };
    const server = await lab.startServer(configs);
    await lab.startClient(configs);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    const kernelBefore = (await dmesg()).length;

    // The valid client pings throughout (5 a second for 12 s).
    const pings = lab.net.try(lab.client, "ping", [
      "-n",
      "-c",
      "60",
      "-i",
      "0.2",
      "-W",
      "1",
      SERVER_TUNNEL_IP,
    ]);
    const hostile = hostileFrames(lan.ip, 4);
    const honest = concat([honestFrame(lan.ip), honestFrame(lan.ip)]);
    const file = `${lab.dir}/frames.bin`;
    await Deno.writeFile(file, concat([hostile.bytes, honest]));
    const txBefore = await txPackets();
    const stranger = lab.spawnStranger(attacker, [
      "frames",
      lab.server.ip,
      String(TUNNEL_PORT),
      lab.certDir,
      "mallory",
      `${ATTACKER_ADDRESS}/24`,
      file,
      "3000",
    ]);
    const result = await stranger.done.catch(async (error) => {
      throw new Error(`${error}\n${await server.log()}`);
    });
    assert.equal(
      result.sent,
      hostile.bytes.length + honest.length,
      `${JSON.stringify(result)}\n${await server.log()}`,
    );
    const txDelta = (await txPackets()) - txBefore;
    const ping = parsePing((await pings).stdout);

    const metrics = await lab.net.exec(lab.server, "curl", [
      "-s",
      `http://127.0.0.1:${MONITOR_PORT}/metrics`,
    ]);
    const malformed = Number(
      /sssonector_dropped_packets_total\{reason="malformed"\} (\d+)/.exec(metrics)?.[1] ?? "NaN",
    );
    const kernelLines = (await dmesg()).slice(kernelBefore);
    console.log(
      `hostile frames ${hostile.count}, honest 2 (20 segments); LAN tx ${txDelta} packets; ` +
        `malformed ${malformed}; client ping ${ping.received}/${ping.sent}; kernel lines ${kernelLines.length}`,
    );
    assert.equal(malformed, hostile.count, "every hostile frame is counted as malformed");
    // The honest frames' 20 segments, plus ARP and TCP resets' neighbours; never thousands.
    assert.ok(txDelta >= 20 && txDelta <= 40, `LAN tx ${txDelta} packets`);
    assert.equal(
      ping.received,
      ping.sent,
      `the other client's pings: ${ping.received}/${ping.sent}`,
    );
    assert.deepEqual(kernelLines.filter((line) => KERNEL_COMPLAINT.test(line)), []);
    assert.ok(server.child.pid > 0);
  },
});
