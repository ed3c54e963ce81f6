/**
 * What a TLS-level flood leaves behind in memory, in one process: the product's listener and
 * stream (src/transport/listener.ts, secure_stream.ts) on loopback, one authenticated attacker
 * (tools/lab/tls_junk.c) flooding in MODE, its connection destroyed after FLOOD_MS (what the TLS
 * overhead guard does, src/session/tls_overhead.ts), then the process's memory before, right
 * after, every 10 s for SETTLE_S seconds, after a major V8 collection and after malloc_trim.
 *
 *   deno run -A --v8-flags=--expose-gc,--single-threaded-gc,--optimize-for-size \
 *     tools/bench/tls_flood_memory.ts keyupdate|tiny|padded[-noread] [FLOOD_MS] [SETTLE_S]
 *
 * `-noread`: the attacker never reads. Here nothing answers its frames, so a reading attacker
 * waits on its reads and sends slowly; in the lab (where the server answers its pings) it floods
 * at full speed either way.
 *
 * Prints one JSON line per stage (MiB): rss, V8 heap used/total and external, glibc's heap
 * (mallinfo2: arenas, mmapped chunks, in use, free), and resident anonymous memory split into the
 * main arena ([heap]), the per-thread arenas (64 MiB-aligned reservations) and the rest (V8's
 * pages, mmapped chunks, stacks).
 *
 * @module
 */
import { join } from "node:path";
import { TlsListener } from "../../src/transport/listener.ts";
import type { SecureStream } from "../../src/transport/secure_stream.ts";
import type { MemoryShim } from "../../src/native/memory.ts";
import { loopbackCertificates } from "../lab/loopback_certificates.ts";
import { acceptOnly, NEVER_CAPPED } from "../lab/listener_events.ts";
import { exposedGc, memoryShimIfBuilt, mib, processFigures } from "./memory_stage.ts";
import { residentKinds } from "./resident_kinds.ts";

const MODES = [
  "keyupdate",
  "keyupdate-noread",
  "tiny",
  "tiny-noread",
  "padded",
  "padded-noread",
] as const;
type Mode = typeof MODES[number];
const TOOL_SOURCE = new URL("../lab/tls_junk.c", import.meta.url).pathname;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function figures(stage: string, shim: MemoryShim | undefined) {
  const heap = shim?.heap();
  const kinds = residentKinds(Deno.readTextFileSync("/proc/self/smaps"));
  return {
    stage,
    ...processFigures(),
    ...(heap
      ? {
        glibcArenas: mib(heap.arenas),
        glibcMmapped: mib(heap.mmapped),
        glibcInUse: mib(heap.inUse),
        glibcFree: mib(heap.free),
      }
      : {}),
    mainArena: mib(kinds.mainArena * 1024),
    threadArenas: mib(kinds.threadArenas * 1024),
    otherAnonymous: mib(kinds.other * 1024),
  };
}

async function buildTool(dir: string): Promise<string> {
  const binary = join(dir, "tls_junk");
  const result = await new Deno.Command("cc", {
    args: ["-O2", "-o", binary, TOOL_SOURCE, "-lssl", "-lcrypto"],
  }).output();
  if (!result.success) throw new Error(new TextDecoder().decode(result.stderr));
  return binary;
}

export async function measureTlsFloodMemory(
  mode: Mode,
  floodMs: number,
  settleS: number,
  out: (stage: object) => void,
): Promise<void> {
  const gc = exposedGc();
  const shim = memoryShimIfBuilt();
  await using certs = await loopbackCertificates("fm-tls-flood-memory-");
  const dir = certs.dir;
  const tool = await buildTool(dir);
  await Deno.writeFile(join(dir, "hello.bin"), new Uint8Array(40));
  await Deno.writeFile(join(dir, "frame.bin"), new Uint8Array(40));
  const streams = new Set<SecureStream>();
  const listener = await TlsListener.listen(
    { host: "127.0.0.1", port: 0 },
    await certs.material("server"),
    acceptOnly((stream) => {
      streams.add(stream);
      let plain = 0;
      stream.onData((chunk) => plain += chunk.length);
      stream.closed.then(() => streams.delete(stream));
      setTimeout(() => stream.destroy(), floodMs);
    }),
    NEVER_CAPPED,
  );
  try {
    const attack = async () => {
      const junk = await new Deno.Command(tool, {
        args: [
          "127.0.0.1",
          String(listener.endpoint.port),
          join(dir, "ca.crt"),
          join(dir, "client.crt"),
          join(dir, "client.key"),
          join(dir, "hello.bin"),
          join(dir, "frame.bin"),
          mode.replace("-noread", ""),
          "20",
          ...(mode.endsWith("-noread") ? ["noread"] : []),
        ],
      }).output();
      return new TextDecoder().decode(junk.stdout).trim();
    };
    await attack(); // warm up: code, TLS, first arenas
    await delay(2000);
    gc({ type: "major" });
    await shim?.trim();
    await delay(500);
    out(figures("before", shim));
    const result = await attack();
    out({ stage: "attacker", result: JSON.parse(result || "{}") });
    out(figures("right after the close", shim));
    for (let s = 10; s <= settleS; s += 10) {
      await delay(10_000);
      out(figures(`${s} s after`, shim));
    }
    let start = performance.now();
    gc({ type: "major" });
    out({ ...figures("after a major collection", shim), ms: performance.now() - start });
    start = performance.now();
    await shim?.trim();
    out({ ...figures("after malloc_trim", shim), ms: performance.now() - start });
  } finally {
    for (const stream of streams) stream.destroy();
    await listener.close();
  }
}

if (import.meta.main) {
  const [mode, floodMs = "1000", settleS = "60"] = Deno.args;
  if (!MODES.includes(mode as Mode)) {
    console.error(`usage: tls_flood_memory.ts ${MODES.join("|")} [FLOOD_MS] [SETTLE_S]`);
    Deno.exit(2);
  }
  await measureTlsFloodMemory(
    mode as Mode,
    Number(floodMs),
    Number(settleS),
    (stage) => console.log(JSON.stringify(stage)),
  );
  Deno.exit(0);
}
