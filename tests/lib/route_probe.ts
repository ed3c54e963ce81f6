/**
 * Runs as root inside a throwaway network namespace (see tests/e2e/tun_routes_test.ts) and does
 * what the test asks, one JSON command a line on stdin, answering each with one JSON line on
 * stdout: open a TUN device, add and remove routes, drop privileges (with or without keeping
 * CAP_NET_ADMIN), try what needs other capabilities, start threads, and answer the IPv4 and IPv6
 * pings that arrive through the TUN. The test reads the namespace's routes and the process's
 * threads from outside in between.
 */
import { encodeFrame, readFrameHeader } from "../../src/frame/codec.ts";
import { FRAME_HEADER_SIZE, FrameType } from "../../src/frame/constants.ts";
import { WRITE_STAT_COUNT } from "../../src/frame/receiver.ts";
import { ipv4Prefix, ipv6Prefix, prefix } from "../../src/ip/prefix.ts";
import { formatAddress } from "../../src/ip/address.ts";
import { dropPrivileges } from "../../src/privilege/drop.ts";
import { TunDevice } from "../../src/tun/device.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { checksum, echoReplyTo } from "./icmp.ts";
import { ANY_SOURCE } from "../../src/ip/packet_filter.ts";

type Command =
  | { op: "open"; name: string; address: string; address6?: string; mtu?: number }
  | { op: "addRoute" | "removeRoute"; route: string }
  | { op: "drop"; keepNetAdmin?: string }
  | { op: "chown"; path: string }
  | { op: "listen"; port: number }
  | { op: "threads" }
  | { op: "serve" | "served" | "close" };

/** The echo reply to an ICMPv6 echo request (addresses swapped, type 129), or undefined. */
function echo6ReplyTo(request: Uint8Array): Uint8Array | undefined {
  if (request.length < 48 || request[0]! >> 4 !== 6 || request[6] !== 58 || request[40] !== 128) {
    return undefined;
  }
  const reply = request.slice();
  reply.set(request.subarray(24, 40), 8);
  reply.set(request.subarray(8, 24), 24);
  reply[40] = 129;
  reply[42] = 0;
  reply[43] = 0;
  // Checksum over the pseudo-header (addresses, upper-layer length, next header) and the message.
  const body = reply.subarray(40);
  const pseudo = new Uint8Array(40 + body.length);
  pseudo.set(reply.subarray(8, 40), 0);
  new DataView(pseudo.buffer).setUint32(32, body.length);
  pseudo[39] = 58;
  pseudo.set(body, 40);
  new DataView(reply.buffer).setUint16(42, checksum(pseudo));
  return reply;
}

/** Runs fn and reports its value, or the error's class and message. */
async function attempt(fn: () => unknown): Promise<Record<string, unknown>> {
  try {
    return { ok: true, value: (await fn()) ?? null };
  } catch (error) {
    const e = error as Error & { errno?: number };
    return { ok: false, error: e.name, message: e.message, errno: e.errno ?? null };
  }
}

const lib = loadNativeLibrary();
let device: TunDevice | undefined;
const workers: Worker[] = [];
let serving: Promise<{ answered: number; destinations: string[] }> | undefined;
let stopServing = false;

/** Answers echo requests read from the TUN until "served"; notes every destination it saw. */
async function serve(tun: TunDevice) {
  const buffer = new Uint8Array(262144);
  const index = new Uint32Array(4096);
  const stats = new BigUint64Array(WRITE_STAT_COUNT);
  const destinations = new Set<string>(); // bounded by what the test sends: a few pings
  let answered = 0;
  while (!stopServing) {
    const batch = await tun.readFrames(buffer, index, 200);
    for (let i = 0; i < batch.count; i++) {
      const offset = index[2 * i]!;
      const header = readFrameHeader(buffer, offset);
      const start = offset + FRAME_HEADER_SIZE;
      const packet = buffer.subarray(start, start + header.length);
      const version = packet[0]! >> 4;
      if (version === 4) destinations.add(formatAddress(packet.subarray(16, 20)));
      if (version === 6 && packet.length >= 40) {
        destinations.add(formatAddress(packet.subarray(24, 40)));
      }
      const reply = version === 4 ? echoReplyTo(packet) : echo6ReplyTo(packet);
      if (!reply) continue;
      tun.writeFrames(encodeFrame(FrameType.Packet, reply), ANY_SOURCE, stats);
      answered++;
    }
  }
  return { answered, destinations: [...destinations] };
}

function live(): TunDevice {
  if (!device) throw new Error("no device: send open first");
  return device;
}

async function execute(command: Command): Promise<Record<string, unknown>> {
  switch (command.op) {
    case "open":
      return await attempt(() => {
        device = TunDevice.open({
          name: command.name,
          address: ipv4Prefix(command.address),
          mtu: command.mtu ?? 1400,
          ...(command.address6 ? { address6: ipv6Prefix(command.address6) } : {}),
        }, lib);
        return { name: device.name, index: device.index };
      });
    case "addRoute":
      return await attempt(() => live().addRoute(prefix(command.route)));
    case "removeRoute":
      return await attempt(() => live().removeRoute(prefix(command.route)));
    case "drop":
      return await attempt(() =>
        dropPrivileges(
          lib,
          { user: "nobody", group: "nogroup" },
          command.keepNetAdmin === undefined ? {} : { keepNetAdmin: command.keepNetAdmin },
        )
      );
    case "chown":
      return await attempt(() => Deno.chownSync(command.path, 65534, 65534));
    case "listen":
      return await attempt(() => {
        Deno.listen({ hostname: "127.0.0.1", port: command.port }).close();
      });
    case "threads":
      // New threads, started by this (the JavaScript) thread: a Web Worker, and the runtime's
      // blocking pool, which runs nonblocking FFI calls.
      return await attempt(async () => {
        const worker = new Worker(
          URL.createObjectURL(
            new Blob(["self.onmessage = (e) => self.postMessage(e.data + 1);"], {
              type: "application/javascript",
            }),
          ),
          { type: "module" },
        );
        workers.push(worker);
        const answer = await new Promise((resolve) => {
          worker.onmessage = (event) => resolve(event.data);
          worker.postMessage(41);
        });
        const libc = Deno.dlopen("libc.so.6", {
          usleep: { parameters: ["u32"], result: "i32", nonblocking: true },
        });
        await Promise.all([1, 2, 3, 4].map(() => libc.symbols.usleep(50_000)));
        libc.close();
        return answer;
      });
    case "serve":
      stopServing = false;
      serving = serve(live());
      return { ok: true };
    case "served": {
      stopServing = true;
      live().wake();
      return { ok: true, value: await serving };
    }
    case "close":
      device?.close();
      device = undefined;
      return { ok: true };
  }
}

const encoder = new TextEncoder();
let pending = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  pending += chunk;
  for (let newline = pending.indexOf("\n"); newline >= 0; newline = pending.indexOf("\n")) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    const answer = await execute(JSON.parse(line) as Command);
    await Deno.stdout.write(encoder.encode(JSON.stringify(answer) + "\n"));
  }
}
for (const worker of workers) worker.terminate();
device?.close();
lib.close();
