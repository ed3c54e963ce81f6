/**
 * Runs inside a throwaway network namespace (see tests/e2e/tun_doorbell_test.ts): reads a real
 * TUN device through each wake-up ("doorbell", "pool") and prints what happened as JSON.
 */
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import { WRITE_STAT_COUNT } from "../../src/frame/receiver.ts";
import { ANY_SOURCE } from "../../src/ip/packet_filter.ts";
import { TunDevice } from "../../src/tun/device.ts";
import { loadTunLibrary } from "../../src/tun/native_library.ts";
import { echoRequest } from "./icmp.ts";

const lib = loadTunLibrary();
const buffer = new Uint8Array(262144);
const index = new Uint32Array(4096);
const stats = new BigUint64Array(WRITE_STAT_COUNT);

function threadNames(): string[] {
  return [...Deno.readDirSync("/proc/self/task")].map((t) =>
    Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).trim()
  );
}

function bellFolders(): string[] {
  return [...Deno.readDirSync("/tmp")].map((e) => e.name).filter((n) =>
    n.startsWith("sssonector-bell-")
  );
}

/** Reads until an echo reply arrives (or 50 reads came back empty). */
async function readReply(device: TunDevice): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const batch = await device.readFrames(buffer, index, 200);
    if (batch.count > 0) return batch.count;
  }
  return 0;
}

const foldersBefore = bellFolders().length;
const result: Record<string, unknown> = {};
for (const [n, wakeup] of (["doorbell", "pool"] as const).entries()) {
  const device = TunDevice.open({
    name: `bell${n}`,
    address: { ip: `10.9${n}.0.1`, prefixLength: 24 },
    mtu: 1400,
    wakeup,
  }, lib);
  const threadsBefore = threadNames().filter((t) => t === "sss-doorbell").length;
  const request = echoRequest(`10.9${n}.0.2`, `10.9${n}.0.1`, 1, new Uint8Array(56));
  device.writeFrames(encodeFrame(FrameType.Packet, request), ANY_SOURCE, stats);
  const replyPackets = await readReply(device);
  const bellThreads = threadNames().filter((t) => t === "sss-doorbell").length;

  // Nothing waits: a read ends at its timeout, empty.
  let started = performance.now();
  const timedOut = await device.readFrames(buffer, index, 150);
  const timeoutMs = performance.now() - started;

  // A pending read ends at once on wake(), empty, long before its timeout.
  started = performance.now();
  const pending = device.readFrames(buffer, index, 10_000);
  setTimeout(() => device.wake(), 50);
  const woken = await pending;
  const wakeMs = performance.now() - started;

  // close() during a pending read ends it, and the doorbell's thread is gone afterwards.
  const closing = device.readFrames(buffer, index, 10_000);
  started = performance.now();
  setTimeout(() => device.close(), 20);
  const closed = await closing;
  const closeMs = performance.now() - started;
  result[wakeup] = {
    threadsBefore,
    replyPackets,
    bellThreads,
    timedOut,
    timeoutMs,
    woken,
    wakeMs,
    closed,
    closeMs,
    threadsAfter: threadNames().filter((t) => t === "sss-doorbell").length,
  };
}
result.foldersLeft = bellFolders().length - foldersBefore;
console.log(JSON.stringify(result));
