/**
 * An emulated wide-area link in a lab made with `middle`: tools/lab/wan_relay.c, built here with
 * `cc`, relays frames between the middle namespace's two interfaces with delay, random loss and
 * an optional bottleneck (see the C file's header for the model and its bounds).
 */
import { LabError, type NetnsLab, runOk, stopChild } from "./netns_lab.ts";

/** One emulated path. */
export interface WanProfile {
  /** Short name for tables, e.g. `40ms-1%-100M`. */
  readonly name: string;
  /** Round-trip delay added by the path (half each way), ms. */
  readonly rttMs: number;
  /** Frames dropped at random in each direction, percent. */
  readonly lossPercent: number;
  /** Bottleneck rate each way, Mbit/s; null for none. */
  readonly rateMbit: number | null;
  /** Longest wait in the bottleneck's queue before a frame is dropped, ms. @default 30 */
  readonly queueMs?: number;
}

/**
 * The paths the issue asks for (a continent away, the same with a slow link, a lossy nearby one),
 * and the slow link without random loss, where the queue alone decides the latency under load.
 */
export const WAN_PROFILES: readonly WanProfile[] = [
  { name: "40ms-1%", rttMs: 40, lossPercent: 1, rateMbit: null },
  { name: "40ms-1%-100M", rttMs: 40, lossPercent: 1, rateMbit: 100 },
  { name: "40ms-100M", rttMs: 40, lossPercent: 0, rateMbit: 100 },
  { name: "10ms-2%", rttMs: 10, lossPercent: 2, rateMbit: null },
];

/** What the relay did in one direction. */
export interface RelayCounters {
  readonly direction: string;
  readonly relayed: number;
  readonly lost: number;
  readonly queueFull: number;
  readonly ringFull: number;
  readonly oversize: number;
  readonly sendFailed: number;
}

/** Parses the relay's closing lines (`a->b relayed N lost N queue_full N ...`). */
export function parseRelayCounters(output: string): RelayCounters[] {
  return [...output.matchAll(
    /^(\S+) relayed (\d+) lost (\d+) queue_full (\d+) ring_full (\d+) oversize (\d+) send_failed (\d+)$/gm,
  )].map((m) => ({
    direction: m[1]!,
    relayed: Number(m[2]),
    lost: Number(m[3]),
    queueFull: Number(m[4]),
    ringFull: Number(m[5]),
    oversize: Number(m[6]),
    sendFailed: Number(m[7]),
  }));
}

/**
 * How long small frames (at most 256 bytes: pings, ACKs, sparse lane segments) waited in the
 * bottleneck's queue in one direction between two samples. `b->a` is client to server (the relay's
 * first interface faces the server).
 */
export interface QueueWaits {
  readonly direction: string;
  readonly frames: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
}

/** Parses the relay's sample lines (`b->a small_waits N p50_us X p95_us Y`). */
export function parseQueueWaits(output: string): QueueWaits[] {
  return [...output.matchAll(/^(\S+) small_waits (\d+) p50_us (\d+) p95_us (\d+)$/gm)].map((m) => ({
    direction: m[1]!,
    frames: Number(m[2]),
    p50Ms: Number(m[3]) / 1000,
    p95Ms: Number(m[4]) / 1000,
  }));
}

/** The relay's command-line arguments after the two interface names. */
export function relayArgs(profile: WanProfile, seed: number): string[] {
  return [
    String(profile.rttMs / 2),
    String(profile.lossPercent),
    String(profile.rateMbit ?? 0),
    String(profile.queueMs ?? 30),
    String(seed),
  ];
}

/** Compiles the relay into `dir`; returns the binary's path. */
export async function buildRelay(dir: string): Promise<string> {
  const source = new URL("./wan_relay.c", import.meta.url).pathname;
  const binary = `${dir}/wan_relay`;
  await runOk("cc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", binary, source]);
  return binary;
}

/**
 * Turns off segmentation, receive coalescing and checksum offloads on every interface of the
 * path: the relay copies plain frames no longer than the MTU, with their checksums filled in.
 */
export async function plainFrames(lab: NetnsLab): Promise<void> {
  const middle = lab.middle;
  if (!middle) throw new LabError("the lab has no middle namespace to relay through");
  const off = ["tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off"];
  for (
    const [ns, device] of [
      [lab.server.ns, lab.server.veth],
      [lab.client.ns, lab.client.veth],
      [middle.ns, middle.towardServer],
      [middle.ns, middle.towardClient],
    ] as const
  ) {
    await runOk("ip", ["netns", "exec", ns, "ethtool", "-K", device, ...off]);
  }
}

/** A running relay: the link is up while it runs, and cut when it stops. */
export class WanLink {
  readonly profile: WanProfile;
  #child: Deno.ChildProcess;
  #stdout = "";
  #stderr: Promise<string>;
  #readDone: Promise<void>;

  private constructor(child: Deno.ChildProcess, profile: WanProfile) {
    this.#child = child;
    this.profile = profile;
    this.#stderr = new Response(child.stderr).text();
    this.#readDone = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stdout) this.#stdout += decoder.decode(chunk);
    })();
  }

  /** Starts the relay for `profile` and waits for its "ready" line (5 s at most). */
  static async start(
    lab: NetnsLab,
    binary: string,
    profile: WanProfile,
    seed = 1,
  ): Promise<WanLink> {
    const middle = lab.middle;
    if (!middle) throw new LabError("the lab has no middle namespace to relay through");
    const child = new Deno.Command("ip", {
      args: [
        ...["netns", "exec", middle.ns, binary, middle.towardServer, middle.towardClient],
        ...relayArgs(profile, seed),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const link = new WanLink(child, profile);
    let exited = false;
    child.status.then(() => (exited = true));
    for (let i = 0; i < 100 && !exited; i++) {
      if (link.#stdout.includes("ready\n")) return link;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { stderr } = await link.stop();
    throw new LabError(`wan_relay did not start: ${stderr.trim() || "no ready line within 5 s"}`);
  }

  /**
   * The small frames' waits in the bottleneck since the previous sample (or the start), per
   * direction: the relay reports them on SIGUSR1 and starts counting anew.
   */
  async sampleWaits(): Promise<QueueWaits[]> {
    const before = this.#stdout.length;
    this.#child.kill("SIGUSR1");
    for (let i = 0; i < 100; i++) {
      const fresh = parseQueueWaits(this.#stdout.slice(before));
      if (fresh.length === 2) return fresh;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new LabError("wan_relay did not report its queue waits within 2 s");
  }

  /** Stops the relay; returns its counters and whatever it wrote to stderr. */
  async stop(): Promise<{ counters: RelayCounters[]; stderr: string }> {
    await stopChild(this.#child, 3000);
    await this.#readDone;
    return { counters: parseRelayCounters(this.#stdout), stderr: await this.#stderr };
  }
}
