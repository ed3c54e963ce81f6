/**
 * What a flood at the door leaves behind in memory, in one process: the product's listener
 * (src/transport/listener.ts) on loopback with caps high enough never to refuse, COUNT
 * connections of one KIND opened 100 at a time and closed by their client after 30 ms, then the
 * process's memory before, right after, after a major V8 collection and after malloc_trim.
 * The figures of docs/security/door.md ("Memory after a flood") come from it.
 *
 *   deno run -A --v8-flags=--expose-gc,--single-threaded-gc,--optimize-for-size \
 *     tools/bench/door_memory.ts idle|half|nocert [COUNT]
 *
 * Prints one JSON line per stage: rss, V8 heap used and total, external, glibc's heap in use and
 * free (mallinfo2, through the shim when it is built), anonymous and file-backed resident memory
 * (/proc/self/smaps_rollup), all in MiB.
 *
 * @module
 */
import tls from "node:tls";
import { TlsListener } from "../../src/transport/listener.ts";
import type { MemoryShim } from "../../src/native/memory.ts";
import { ALPN_PROTOCOL } from "../../src/transport/tls_options.ts";
import { loopbackCertificates } from "../lab/loopback_certificates.ts";
import { acceptOnly, NEVER_CAPPED } from "../lab/listener_events.ts";
import { HALF_CLIENT_HELLO } from "../lab/lab_client_tls.ts";
import { exposedGc, memoryShimIfBuilt, mib, processFigures } from "./memory_stage.ts";

type Kind = "idle" | "half" | "nocert";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function figures(stage: string, shim: MemoryShim | undefined) {
  const rollup = Deno.readTextFileSync("/proc/self/smaps_rollup");
  const kb = (key: string) => Number(rollup.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1]);
  const heap = shim?.heap();
  return {
    stage,
    ...processFigures(),
    ...(heap ? { glibcInUse: mib(heap.inUse), glibcFree: mib(heap.free) } : {}),
    anonymous: mib(kb("Anonymous") * 1024),
    fileBacked: mib((kb("Rss") - kb("Anonymous")) * 1024),
  };
}

/** One connection of KIND, closed by us 30 ms after it is up (or when the server ends it). */
function one(kind: Kind, port: number): Promise<void> {
  if (kind === "nocert") {
    return new Promise((resolve) => {
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        rejectUnauthorized: false,
        ALPNProtocols: [ALPN_PROTOCOL],
      });
      const done = () => {
        socket.destroy();
        resolve();
      };
      socket.on("error", done);
      socket.on("data", () => {});
      socket.once("close", done);
      socket.once("secureConnect", () => setTimeout(done, 30));
    });
  }
  return (async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    if (kind === "half") await conn.write(HALF_CLIENT_HELLO);
    await delay(30);
    conn.close();
  })();
}

async function flood(kind: Kind, port: number, count: number): Promise<void> {
  for (let done = 0; done < count; done += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - done) }, () => one(kind, port)));
  }
}

export async function measureDoorMemory(kind: Kind, count: number): Promise<object[]> {
  const gc = exposedGc();
  const shim = memoryShimIfBuilt();
  const certs = await loopbackCertificates("sssonector-door-memory-");
  try {
    const listener = await TlsListener.listen(
      { host: "127.0.0.1", port: 0 },
      await certs.material("server"),
      acceptOnly((stream) => stream.destroy()),
      { ...NEVER_CAPPED, handshakeTimeoutMs: 10_000 },
    );
    try {
      const port = listener.endpoint.port;
      const settle = async () => {
        await delay(500);
        gc({ type: "major" });
        await shim?.trim();
      };
      await flood(kind, port, Math.min(1000, count)); // warm up: code, pools, first arenas
      await settle();
      const stages = [figures("before", shim)];
      await flood(kind, port, count);
      await delay(1000);
      stages.push(figures("after the flood", shim));
      gc({ type: "major" });
      await delay(300);
      stages.push(figures("after a major collection", shim));
      await shim?.trim();
      stages.push(figures("after malloc_trim", shim));
      return stages;
    } finally {
      await listener.close();
    }
  } finally {
    await certs[Symbol.asyncDispose]();
  }
}

if (import.meta.main) {
  const [kind, count = "3000"] = Deno.args;
  if (kind !== "idle" && kind !== "half" && kind !== "nocert") {
    console.error("usage: door_memory.ts idle|half|nocert [COUNT]");
    Deno.exit(2);
  }
  for (const stage of await measureDoorMemory(kind, Number(count))) {
    console.log(JSON.stringify(stage));
  }
  Deno.exit(0);
}
