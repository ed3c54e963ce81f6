/**
 * Runs as root inside a throwaway network namespace (see tests/e2e/privilege_test.ts): opens a
 * TUN device, drops to the user and group given as arguments, then tries what an attacker with
 * code execution would, and prints one JSON line of results. It then answers every ping that
 * arrives through the TUN until stdin closes, so the test can read /proc/PID/task/TID/status of
 * the live process and ping through the dropped process's device. Prints a last JSON line (the
 * pings it answered) before it exits.
 */
import { encodeFrame, readFrameHeader } from "../../src/frame/codec.ts";
import { ipv4Prefix } from "../../src/ip/prefix.ts";
import { FRAME_HEADER_SIZE, FrameType } from "../../src/frame/constants.ts";
import { WRITE_STAT_COUNT, WriteStat } from "../../src/frame/receiver.ts";
import { dropPrivileges } from "../../src/privilege/drop.ts";
import { readThreadCredentials } from "../../src/privilege/thread_credentials.ts";
import { TunDevice } from "../../src/tun/device.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { ANY_SOURCE } from "../../src/ip/packet_filter.ts";
import { echoReplyTo, echoRequest } from "./icmp.ts";

/** What an attempt did: the value, or the error's class and message. */
type Outcome = { ok: true; value?: unknown } | { ok: false; error: string; message: string };

async function attempt(fn: () => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    const e = error as Error;
    return { ok: false, error: e.name, message: e.message };
  }
}

const [user = "nobody", group = "nogroup"] = Deno.args;
const lib = loadNativeLibrary();
const device = TunDevice.open({
  name: "priv0",
  address: ipv4Prefix("10.97.0.1/24"),
  mtu: 1400,
}, lib);
const buffer = new Uint8Array(262144);
const index = new Uint32Array(4096);
const stats = new BigUint64Array(WRITE_STAT_COUNT);

/** Answers the echo requests of one batch read from the TUN; returns how many. */
async function answerBatch(timeoutMs: number): Promise<{ answered: number; replies: number }> {
  const batch = await device.readFrames(buffer, index, timeoutMs);
  let answered = 0, replies = 0;
  for (let i = 0; i < batch.count; i++) {
    const offset = index[2 * i]!;
    const header = readFrameHeader(buffer, offset);
    const start = offset + FRAME_HEADER_SIZE;
    const packet = buffer.subarray(start, start + header.length);
    if (packet[9] === 1 && packet[20] === 0) replies++;
    const reply = echoReplyTo(packet);
    if (!reply) continue;
    device.writeFrames(encodeFrame(FrameType.Packet, reply), ANY_SOURCE, stats);
    answered++;
  }
  return { answered, replies };
}

const tidsBefore = (await readThreadCredentials()).map((t) => t.tid);
const account = await dropPrivileges(lib, { user, group });

const result: Record<string, unknown> = { pid: Deno.pid, account, tidsBefore };
result.exec = await attempt(() => new Deno.Command("true").outputSync().code);
result.shadow = await attempt(() => Deno.readTextFileSync("/etc/shadow").length);
result.configureAgain = await attempt(() =>
  TunDevice.open({ name: "priv1", address: ipv4Prefix("10.96.0.1/24"), mtu: 1400 }, lib)
);

// unshare(CLONE_NEWUSER) needs no privilege where user namespaces are enabled: only the filter
// refuses it. errno is the calling thread's; FFI calls without `nonblocking` run on this one.
const libc = Deno.dlopen("libc.so.6", {
  unshare: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
});
const CLONE_NEWUSER = 0x10000000;
const unshareRc = libc.symbols.unshare(CLONE_NEWUSER);
const errno = new Deno.UnsafePointerView(libc.symbols.__errno_location()!).getInt32();
result.unshare = { rc: unshareRc, errno: unshareRc < 0 ? errno : 0 };
libc.close();

// Sockets and name lookups still work: listen, resolve "localhost" (/etc/hosts), connect, echo.
result.socket = await attempt(async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  using client = await Deno.connect({ hostname: "localhost", port: listener.addr.port });
  using server = await accepted;
  await client.write(new Uint8Array([7]));
  const byte = new Uint8Array(1);
  await server.read(byte);
  return byte[0];
});

// A thread started after the drop (a Web Worker is an OS thread): it must start, and it must
// show up dropped in /proc like the others.
const worker = new Worker(
  URL.createObjectURL(
    new Blob(["self.onmessage = (e) => self.postMessage(e.data * 2);"], {
      type: "application/javascript",
    }),
  ),
  { type: "module" },
);
result.worker = await new Promise((resolve) => {
  worker.onmessage = (event) => resolve(event.data);
  worker.postMessage(21);
});

// The TUN still moves packets both ways: a request written to the kernel, its reply read back.
stats.fill(0n);
device.writeFrames(
  encodeFrame(FrameType.Packet, echoRequest("10.97.0.2", "10.97.0.1", 9, new Uint8Array(56))),
  ANY_SOURCE,
  stats,
);
let selfReplies = 0;
for (let i = 0; i < 10 && selfReplies === 0; i++) selfReplies += (await answerBatch(200)).replies;
result.tun = { written: Number(stats[WriteStat.Packets]), replies: selfReplies };
console.log(JSON.stringify(result));

// Answer pings until the test closes stdin.
let open = true;
const stdinClosed = (async () => {
  for await (const _ of Deno.stdin.readable) { /* nothing is sent; wait for EOF */ }
  open = false;
  device.wake();
})();
let answered = 0;
while (open) answered += (await answerBatch(1000)).answered;
await stdinClosed;
worker.terminate();
device.close();
lib.close();
console.log(JSON.stringify({ answered }));
