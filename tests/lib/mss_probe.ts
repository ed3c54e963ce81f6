/**
 * Runs inside a throwaway network namespace (see tests/e2e/mss_filter_test.ts): drives a real TUN
 * device (nf0, mtu 1400, MSS clamp 1360/1340) with TCP SYNs both ways and with packets the filter
 * must drop, watches the device with tcpdump, and prints what happened as JSON on stdout.
 *
 * Write path: SYNs with MSS 1460 are written as a peer would send them; the kernel answers a SYN
 * only when its checksum verifies, so its SYN-ACK proves the clamp kept the checksum right, and
 * tcpdump shows the MSS the kernel got. Read path: connections to addresses routed into nf0 with
 * `advmss 1460` make the kernel send SYNs with MSS 1460; readFrames must return them clamped.
 */
import { encodeFrame, readFrameHeader } from "../../src/frame/codec.ts";
import { FRAME_HEADER_SIZE, FrameType, VNET_HDR_SIZE } from "../../src/frame/constants.ts";
import { WRITE_STAT_COUNT, WriteStat } from "../../src/frame/receiver.ts";
import { spoofedSource } from "../../src/frame/receiver.ts";
import { ipv4Prefix, prefix } from "../../src/ip/prefix.ts";
import { formatAddress } from "../../src/ip/address.ts";
import { mssClampFor, TunDevice } from "../../src/tun/device.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { OffloadConverter } from "../../src/tun/offload.ts";
import { compilePacketFilter } from "../../src/ip/packet_filter.ts";
import { concat } from "./bytes.ts";
import {
  checksumField,
  mssOf,
  pseudoHeaderSum,
  TCP_ACK,
  TCP_SYN,
  tcpChecksum,
  tcpOffset,
  tcpPacket,
} from "./tcp.ts";

const offload = Deno.args[0] === "offload";
const NAME = "nf0";
const MTU = 1400;
const VNET_F_NEEDS_CSUM = 1;

async function ip(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

const lib = loadNativeLibrary();
const device = TunDevice.open({
  name: NAME,
  address: ipv4Prefix("10.98.0.1/24"),
  mtu: MTU,
  offload,
  mssClamp: mssClampFor(MTU),
}, lib);
await ip("-6", "addr", "add", "fd98::1/64", "dev", NAME, "nodad");
await ip("route", "add", "10.98.1.0/24", "dev", NAME, "advmss", "1460");
await ip("-6", "route", "add", "fd98:1::/64", "dev", NAME, "advmss", "1460");

// tcpdump on the device, line-buffered; ready once it says it is listening.
const tcpdump = new Deno.Command("tcpdump", {
  args: ["-i", NAME, "-n", "-vv", "-l", "tcp"],
  stdout: "piped",
  stderr: "piped",
}).spawn();
let dumped = "";
let dumpStderr = "";
const decoder = new TextDecoder();
const dumpDone = Promise.all([
  (async () => {
    for await (const chunk of tcpdump.stdout) dumped += decoder.decode(chunk, { stream: true });
  })(),
  (async () => {
    for await (const chunk of tcpdump.stderr) dumpStderr += decoder.decode(chunk, { stream: true });
  })(),
]);
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
if (!await until(() => dumpStderr.includes("listening on"), 10_000)) {
  throw new Error(`tcpdump did not start: ${dumpStderr}`);
}

const listeners = [
  Deno.listen({ hostname: "10.98.0.1", port: 7000 }),
  Deno.listen({ hostname: "fd98::1", port: 7000 }),
];

/** A packet read from the device, with its vnet flags when the device has offloads. */
interface Seen {
  packet: Uint8Array;
  flags: number;
  frame: Uint8Array;
}
const seen: Seen[] = [];
const buffer = new Uint8Array(262144);
const index = new Uint32Array(4096);
/** Reads until `want` holds for some packet read so far, or the deadline passes. */
async function readUntil(want: (s: Seen) => boolean, ms = 5000): Promise<Seen | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = seen.find(want);
    if (found || Date.now() > deadline) return found;
    const batch = await device.readFrames(buffer, index, 200);
    for (let i = 0; i < batch.count; i++) {
      const offset = index[2 * i]!;
      const header = readFrameHeader(buffer, offset);
      const start = offset + FRAME_HEADER_SIZE;
      const vnet = header.type === FrameType.PacketGso ? VNET_HDR_SIZE : 0;
      seen.push({
        packet: buffer.slice(start + vnet, start + header.length),
        flags: vnet ? buffer[start]! : 0,
        frame: buffer.slice(offset, start + header.length),
      });
    }
  }
}

function isTcp(p: Uint8Array): boolean {
  return p[0]! >> 4 === 6 ? p[6] === 6 : p[0]! >> 4 === 4 && p[9] === 6;
}
function ports(p: Uint8Array): { from: number; to: number } {
  const tcp = tcpOffset(p);
  return { from: (p[tcp]! << 8) | p[tcp + 1]!, to: (p[tcp + 2]! << 8) | p[tcp + 3]! };
}
function flagsOf(p: Uint8Array): number {
  return p[tcpOffset(p) + 13]!;
}
const synAckTo = (port: number, v6: boolean) => (s: Seen) =>
  isTcp(s.packet) && (s.packet[0]! >> 4 === 6) === v6 && ports(s.packet).to === port &&
  flagsOf(s.packet) === (TCP_SYN | TCP_ACK);

const filter = compilePacketFilter({
  sources: [prefix("10.98.0.2/32"), prefix("fd98::2/128")],
  allowDestinations: [prefix("10.98.0.1/32")],
  denyDestinations: [prefix("10.98.0.0/24")],
});
const stats = new BigUint64Array(WRITE_STAT_COUNT);
const result: Record<string, unknown> = { offload: device.offload };

// 1. Write path: SYNs with MSS 1460 from the peer, IPv4 and IPv6.
const syn4 = tcpPacket({ source: "10.98.0.2", destination: "10.98.0.1", sourcePort: 40000 });
const syn6 = tcpPacket({ source: "fd98::2", destination: "fd98::1", sourcePort: 40006 });
const written = concat([syn4, syn6].map((p) => encodeFrame(FrameType.Packet, p)));
const writtenCopy = written.slice();
device.writeFrames(written, filter, stats);
result.write = {
  packets: Number(stats[WriteStat.Packets]),
  clamped: Number(stats[WriteStat.MssClamped]),
  bufferUnchanged: written.every((byte, i) => byte === writtenCopy[i]),
  synAck4: (await readUntil(synAckTo(40000, false))) !== undefined,
  synAck6: (await readUntil(synAckTo(40006, true))) !== undefined,
};

// 2. Write path with a partial checksum (offload only): a PacketGso frame with NEEDS_CSUM.
if (device.offload) {
  const syn = tcpPacket({ source: "10.98.0.2", destination: "10.98.0.1", sourcePort: 40001 });
  const tcp = tcpOffset(syn);
  const partial = pseudoHeaderSum(syn);
  syn[tcp + 16] = partial >> 8;
  syn[tcp + 17] = partial & 0xff;
  const vnet = new Uint8Array(VNET_HDR_SIZE);
  const view = new DataView(vnet.buffer);
  vnet[0] = VNET_F_NEEDS_CSUM;
  view.setUint16(6, tcp, true); // csum_start (little endian, as virtio_net_hdr on x86/arm)
  view.setUint16(8, 16, true); // csum_offset
  stats.fill(0n);
  device.writeFrames(encodeFrame(FrameType.PacketGso, concat([vnet, syn])), filter, stats);
  result.writePartial = {
    packets: Number(stats[WriteStat.Packets]),
    clamped: Number(stats[WriteStat.MssClamped]),
    synAck: (await readUntil(synAckTo(40001, false))) !== undefined,
    // The field as written; the kernel must get it unchanged (tcpdump prints it).
    field: partial.toString(16).padStart(4, "0"),
  };
}

// 3. Read path: the kernel's own SYNs towards addresses routed into nf0 (advmss 1460).
const connects = [
  Deno.connect({ hostname: "10.98.1.5", port: 80 }),
  Deno.connect({ hostname: "fd98:1::5", port: 80 }),
];
for (const pending of connects) pending.then((conn) => conn.close(), () => {});
const converter = new OffloadConverter(lib);
for (const [key, v6] of [["read4", false], ["read6", true]] as const) {
  const syn = await readUntil((s) =>
    isTcp(s.packet) && (s.packet[0]! >> 4 === 6) === v6 && ports(s.packet).to === 80 &&
    flagsOf(s.packet) === TCP_SYN
  );
  if (!syn) {
    result[key] = null;
    continue;
  }
  const partial = (syn.flags & VNET_F_NEEDS_CSUM) !== 0;
  let converted: { mss: number | undefined; checksumOk: boolean } | undefined;
  if (partial) {
    // What a peer without offloads gets: the checksum completed by native/gso.c.
    const out = new Uint8Array(4096);
    const { written } = converter.convert(syn.frame, out);
    const packet = out.slice(FRAME_HEADER_SIZE, written);
    converted = { mss: mssOf(packet), checksumOk: checksumField(packet) === tcpChecksum(packet) };
  }
  result[key] = {
    mss: mssOf(syn.packet),
    partial,
    checksumOk: partial
      ? checksumField(syn.packet) === pseudoHeaderSum(syn.packet)
      : checksumField(syn.packet) === tcpChecksum(syn.packet),
    converted,
  };
}
result.counters = device.mssClamped();

// 4. The filter on the real device: link-local IPv6, a spoofed source, a refused destination.
stats.fill(0n);
device.writeFrames(
  concat([
    tcpPacket({ source: "fe80::2", destination: "fd98::1", sourcePort: 40100 }),
    tcpPacket({ source: "10.98.0.9", destination: "10.98.0.1", sourcePort: 40101 }),
    tcpPacket({ source: "10.98.0.2", destination: "10.98.0.3", sourcePort: 40102 }),
  ].map((p) => encodeFrame(FrameType.Packet, p))),
  filter,
  stats,
);
const spoofed = spoofedSource(stats);
result.filter = {
  packets: Number(stats[WriteStat.Packets]),
  linkLocal: Number(stats[WriteStat.DroppedLinkLocal]),
  spoofed: Number(stats[WriteStat.DroppedSpoofed]),
  destination: Number(stats[WriteStat.DroppedDestination]),
  spoofedSource: spoofed ? formatAddress(spoofed) : null,
};

// What tcpdump saw of the written SYNs (the kernel's side of nf0).
await until(
  () => /40000 > 10\.98\.0\.1\.7000/.test(dumped) && /40006 > fd98::1\.7000/.test(dumped),
  5000,
);
tcpdump.kill("SIGTERM");
await tcpdump.status;
await dumpDone;
result.tcpdump = dumped;
// IPv6 packets the kernel itself sent into nf0 from a link-local source (router solicitations,
// MLD reports): what a peer's kernel would send us, and what the write path drops.
result.linkLocalFromKernel = seen.filter((s) =>
  s.packet[0]! >> 4 === 6 && s.packet[8] === 0xfe && (s.packet[9]! & 0xc0) === 0x80
).map((s) => ({ nextHeader: s.packet[6], destination: formatAddress(s.packet.slice(24, 40)) }));

for (const listener of listeners) listener.close();
device.close();
console.log(JSON.stringify(result));
Deno.exit(0); // the connects towards 10.98.1.5 and fd98:1::5 would wait for their timeouts
