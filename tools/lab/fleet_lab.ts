/**
 * The many-client lab: one server namespace with a bridge, N client namespaces each joined to it
 * by a veth pair, one CA with a server certificate and a certificate per client (ECDSA, issued once
 * per lab), and real `sssonector` processes started in them. Names and addresses are those of
 * tools/lab/fleet_plan.ts.
 *
 * Disposing it stops every process it started, kills whatever else still runs in its namespaces,
 * deletes the namespaces (and so every veth and TUN device in them) and removes its folder: on
 * return, on failure, and on SIGINT/SIGTERM (tools/lab/signal_cleanup.ts; the process then exits
 * with 130 or 143). Should its process
 * die without running any clean-up (killed, or `deno test` ending on Ctrl-C, which skips signal
 * listeners), a reaper process does the same (see REAPER_SCRIPT); and the next lab this machine
 * creates removes any lab whose creator is gone (see sweepOrphans).
 *
 * @module
 */

import { generateCertificates } from "../../src/pki/generate.ts";
import { readProcFile } from "../bench/_proc.ts";
import { cleanUpOnSignal } from "./signal_cleanup.ts";
import { parseRssKiB } from "../bench/proc_stat.ts";
import {
  FLEET_MONITOR_PORT,
  fleetClientYaml,
  fleetServerYaml,
  type YamlScalar,
} from "./fleet_configs.ts";
import {
  clientBatch,
  clientTunnelIp,
  createNamespacesBatch,
  defaultTunnelPrefix,
  deleteNamespacesBatch,
  FLEET_PREFIX,
  FLEET_SERVER_TUNNEL,
  FLEET_SERVER_UNDERLAY,
  type FleetSlot,
  fleetSlots,
  newLabId,
  orphanPid,
  REAPER_SCRIPT,
  serverBatch,
  serverNamespace,
} from "./fleet_plan.ts";
import { LAB_INTERFACE } from "./lab_configs.ts";
import { LabError, NamespaceChildren, run, runOk, stopChild } from "./netns_lab.ts";
import { selfCommand } from "./self_command.ts";
import { TunnelProcess } from "./tunnel_process.ts";

/** How a fleet lab is made. */
export interface FleetLabOptions {
  /** Client namespaces and certificates, 1..MAX_FLEET_CLIENTS. */
  readonly clients: number;
  /** Tunnel prefix length. @default 24 up to 253 clients, else 16 */
  readonly tunnelPrefix?: 16 | 24;
  /**
   * The program that runs a tunnel, as argv before `-config FILE`, e.g. the checkout launcher.
   * @default selfCommand()
   */
  readonly command?: readonly string[];
  /** Start of the temporary folder's name. @default "sssonector-fleet-" */
  readonly tempPrefix?: string;
}

/** What the server's file says beyond the lab's fixed parts. */
export interface FleetServerOptions {
  /** Serve /metrics and /status.json on 127.0.0.1:9090 in the server namespace. */
  readonly monitoring?: boolean;
  /** logging.level. @default "info" */
  readonly level?: string;
  readonly network?: Readonly<Record<string, YamlScalar>>;
  readonly security?: Readonly<Record<string, YamlScalar>>;
  /** Folder of ca.crt, server.crt, server.key. @default the lab's certDir */
  readonly certDir?: string;
  /** A second server's listen address, tunnel address, TUN and pool flag (fleet_pool.ts). */
  readonly listen?: string;
  readonly tunnelIp?: string;
  readonly interface?: string;
  readonly pool?: boolean;
}

/** A running server of the lab. */
export interface FleetServer {
  readonly process: TunnelProcess;
  /** The tunnel process's pid (the launcher and `ip netns exec` exec into it). */
  readonly pid: number;
}

/** A client certificate of the lab and the tunnel address that goes with it. */
export interface FleetIdentity {
  readonly name: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Tunnel address without prefix. */
  readonly tunnelIp: string;
}

/** What /proc says of a process. */
export interface ProcessState {
  readonly rssKiB: number;
  readonly fds: number;
}

/** Runs `work` over `items` with at most `limit` at once; rejects with the first failure. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Namespace names in `ip netns list` output. */
async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run("ip", ["netns", "list"]);
  return stdout.split("\n").map((line) => line.split(" ")[0] ?? "").filter(Boolean);
}

/** Kills every process left in the namespaces, then deletes them. */
async function deleteNamespaces(namespaces: readonly string[]): Promise<void> {
  if (namespaces.length === 0) return;
  await eachLimited(namespaces, 8, async (ns) => {
    const { stdout } = await run("ip", ["netns", "pids", ns]);
    for (const pid of stdout.split(/\s+/).filter(Boolean)) await run("kill", ["-9", pid]);
  });
  // -force goes on past a namespace that is already gone.
  await run("ip", ["-force", "-batch", "-"], { stdin: deleteNamespacesBatch(namespaces) });
}

async function pidAlive(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** The commit the launcher would work out for every process: once for the lab, not per client. */
async function checkoutCommit(): Promise<string | undefined> {
  const known = Deno.env.get("SSSONECTOR_COMMIT");
  if (known) return known;
  const root = new URL("../../", import.meta.url).pathname;
  const head = await run("git", ["-C", root, "rev-parse", "--short=12", "HEAD"]).catch(() => null);
  if (!head || head.code !== 0) return undefined;
  const status = await run("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"]);
  return head.stdout.trim() + (status.stdout.trim() ? "-dirty" : "");
}

export class FleetLab implements AsyncDisposable {
  /** Temporary folder: certificates, configurations, logs. Removed on dispose. */
  readonly dir: string;
  readonly certDir: string;
  readonly serverNs: string;
  /** Every client's names and addresses, index 1 first. */
  readonly slots: readonly FleetSlot[];
  readonly tunnelPrefix: 16 | 24;
  /** Start of every namespace name of this lab. */
  readonly namespacePrefix: string;
  #command: readonly string[];
  #env: Record<string, string>;
  #children = new NamespaceChildren();
  #runs = 0;
  #disposed: Promise<void> | undefined;
  #reaper: Deno.ChildProcess | undefined;
  /** Runs the disposal on SIGINT/SIGTERM while the lab lives. */
  #signalGuard: Disposable | undefined;

  private constructor(
    dir: string,
    serverNs: string,
    namespacePrefix: string,
    slots: FleetSlot[],
    tunnelPrefix: 16 | 24,
    command: readonly string[],
    env: Record<string, string>,
  ) {
    this.dir = dir;
    this.certDir = `${dir}/certs`;
    this.serverNs = serverNs;
    this.namespacePrefix = namespacePrefix;
    this.slots = slots;
    this.tunnelPrefix = tunnelPrefix;
    this.#command = command;
    this.#env = env;
  }

  /**
   * Makes the namespaces, the bridge and the veth pairs, and issues the certificates; removes
   * whatever it made when any step fails.
   */
  static async create(options: FleetLabOptions): Promise<FleetLab> {
    await FleetLab.sweepOrphans();
    const tunnelPrefix = options.tunnelPrefix ?? defaultTunnelPrefix(options.clients);
    const labId = newLabId();
    const slots = fleetSlots(Deno.pid, labId, options.clients, tunnelPrefix);
    const serverNs = serverNamespace(Deno.pid, labId);
    const dir = await Deno.makeTempDir({
      prefix: options.tempPrefix ?? `sssonector-fleet-${Deno.pid}-`,
    });
    const commit = await checkoutCommit();
    const lab = new FleetLab(
      dir,
      serverNs,
      `${FLEET_PREFIX}-${Deno.pid}-${labId}-`,
      slots,
      tunnelPrefix,
      options.command ?? selfCommand(),
      commit ? { SSSONECTOR_COMMIT: commit } : {},
    );
    lab.#signalGuard = cleanUpOnSignal(() => {
      console.error("\n==> interrupted: removing the fleet lab's namespaces, processes and files");
      return lab[Symbol.asyncDispose]();
    });
    try {
      lab.#startReaper();
      await Deno.chmod(dir, 0o755);
      await batch([], createNamespacesBatch(serverNs, slots));
      await batch(["-n", serverNs], serverBatch(slots));
      await eachLimited(slots, 8, (slot) => batch(["-n", slot.ns], clientBatch(slot)));
      await lab.#issueCertificates();
    } catch (error) {
      await lab[Symbol.asyncDispose]();
      throw error;
    }
    return lab;
  }

  /**
   * Removes the namespaces of fleet labs whose creating process is gone (killed before it could
   * clean up), with whatever still runs in them. Names of live labs are never touched.
   */
  static async sweepOrphans(): Promise<string[]> {
    const orphans: string[] = [];
    for (const ns of await listNamespaces()) {
      const pid = orphanPid(ns);
      if (pid !== undefined && pid !== Deno.pid && !(await pidAlive(pid))) orphans.push(ns);
    }
    await deleteNamespaces(orphans);
    return orphans;
  }

  /** Starts the reaper (see REAPER_SCRIPT), which cleans up should this process die first. */
  #startReaper(): void {
    this.#reaper = new Deno.Command("setsid", {
      args: ["sh", "-c", REAPER_SCRIPT, "fleet-reaper", this.namespacePrefix, this.dir],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
  }

  async #issueCertificates(): Promise<void> {
    const [first, ...rest] = this.slots;
    await generateCertificates({
      certDir: this.certDir,
      serverIp: FLEET_SERVER_UNDERLAY,
      serverNames: [],
      clientName: first!.name,
      days: 1,
      keyType: "ecdsa-p256",
      force: false,
    });
    await eachLimited(rest, 4, (slot) => this.#issue(slot.name));
  }

  async #issue(name: string): Promise<void> {
    await generateCertificates({
      certDir: this.certDir,
      serverNames: [],
      clientName: name,
      days: 1,
      keyType: "ecdsa-p256",
      force: false,
    });
  }

  /**
   * `count` more client certificates (`<stem>1`, `<stem>2`, ...) from the lab's CA, each with its
   * own tunnel address after the slots' (for load generators that are not lab clients).
   */
  async issueIdentities(count: number, stem = "load"): Promise<FleetIdentity[]> {
    // Addresses follow the slots'; one that leaves the tunnel network is refused.
    const identities = Array.from({ length: count }, (_, i) => ({
      name: `${stem}${i + 1}`,
      certFile: `${this.certDir}/${stem}${i + 1}.crt`,
      keyFile: `${this.certDir}/${stem}${i + 1}.key`,
      tunnelIp: clientTunnelIp(this.slots.length + 1 + i, this.tunnelPrefix),
    }));
    await eachLimited(identities, 4, (identity) => this.#issue(identity.name));
    return identities;
  }

  /** The slot of client `index` (1-based). */
  slot(index: number): FleetSlot {
    const slot = this.slots[index - 1];
    if (!slot) throw new RangeError(`The lab has clients 1..${this.slots.length}, not ${index}`);
    return slot;
  }

  /** Starts a long-running command in a namespace; the lab stops it on dispose. */
  spawn(
    ns: string,
    cmd: string,
    args: readonly string[],
    options: { stdout?: "piped" | "null"; stderr?: "piped" | "null" } = {},
  ): Deno.ChildProcess {
    return this.#children.spawn(ns, cmd, args, { ...options, env: this.#env });
  }

  /** Stops a process the lab started: SIGTERM, then SIGKILL after `graceMs`. */
  stop(child: Deno.ChildProcess, graceMs = 5000): Promise<Deno.CommandStatus> {
    return stopChild(child, graceMs);
  }

  /** Runs a command in a namespace to completion, whatever its exit code. */
  try(ns: string, cmd: string, args: readonly string[]) {
    return run("ip", ["netns", "exec", ns, cmd, ...args]);
  }

  /** Runs a command in a namespace and throws LabError when it fails. */
  exec(ns: string, cmd: string, args: readonly string[]): Promise<string> {
    return runOk("ip", ["netns", "exec", ns, cmd, ...args]);
  }

  /** Writes a server configuration (a new file and log each time) and starts the server. */
  async startServer(options: FleetServerOptions = {}): Promise<FleetServer> {
    const run = this.#runs++;
    const configPath = `${this.dir}/server-${run}.yaml`;
    const logPath = `${this.dir}/server-${run}.log`;
    await Deno.writeTextFile(
      configPath,
      fleetServerYaml({
        ...options,
        certDir: options.certDir ?? this.certDir,
        logFile: logPath,
        tunnelPrefix: this.tunnelPrefix,
      }),
    );
    const process = this.#startTunnel(this.serverNs, configPath, logPath);
    try {
      await process.waitForLog(/listening on/);
      if (options.monitoring) await process.waitForLog(/monitoring on http/);
    } catch (error) {
      await process.stop(2000);
      throw error;
    }
    return { process, pid: process.child.pid };
  }

  /**
   * Writes client `index`'s configuration (a new file and log each time) and starts it, without
   * waiting for it to connect.
   */
  async startClient(
    index: number,
    options: {
      network?: Readonly<Record<string, YamlScalar>>;
      level?: string;
      /** `server:` list, in order of preference (a pool). @default the lab's one server */
      servers?: readonly string[];
    } = {},
  ): Promise<TunnelProcess> {
    const slot = this.slot(index);
    const run = this.#runs++;
    const configPath = `${this.dir}/${slot.name}-${run}.yaml`;
    const logPath = `${this.dir}/${slot.name}-${run}.log`;
    await Deno.writeTextFile(
      configPath,
      fleetClientYaml({
        certDir: this.certDir,
        name: slot.name,
        tunnelIp: slot.tunnelIp,
        tunnelPrefix: this.tunnelPrefix,
        logFile: logPath,
        ...options,
      }),
    );
    return this.#startTunnel(slot.ns, configPath, logPath);
  }

  #startTunnel(ns: string, configPath: string, logPath: string): TunnelProcess {
    const [cmd, ...args] = this.#command;
    const child = this.spawn(ns, cmd!, [...args, "-config", configPath], { stderr: "piped" });
    return new TunnelProcess(this, child, logPath);
  }

  /** One ping with a one-second deadline: whether it was answered. */
  async pingOnce(ns: string, to: string): Promise<boolean> {
    return (await this.try(ns, "ping", ["-n", "-c", "1", "-W", "1", to])).code === 0;
  }

  /**
   * Waits until client `index` is up both ways: its log says it connected, it gets an answer
   * from its server's tunnel address (`serverTunnelIp`, the lab's one server unless told), and the server gets one from its tunnel address. Polls;
   * throws when the client exits or `deadline` (performance.now()) passes.
   */
  async waitUntilUp(
    index: number,
    client: TunnelProcess,
    deadline: number,
    serverTunnelIp: string = FLEET_SERVER_TUNNEL,
  ): Promise<void> {
    const slot = this.slot(index);
    let exited: Deno.CommandStatus | undefined;
    client.child.status.then((status) => (exited = status));
    await client.waitForLog(/connected to /, Math.max(1, deadline - performance.now()));
    for (const [from, to] of [[slot.ns, serverTunnelIp], [this.serverNs, slot.tunnelIp]]) {
      while (!(await this.pingOnce(from!, to!))) {
        if (exited) {
          throw new LabError(`client ${slot.name} exited with code ${exited.code}`);
        }
        if (performance.now() > deadline) {
          throw new LabError(`no ping reply from ${to} in ${from} before the deadline`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** A monitoring endpoint path of the server (`/status.json`, `/metrics`), fetched with curl. */
  async monitor(path: string): Promise<string> {
    return await this.exec(this.serverNs, "curl", [
      "-sf",
      "-m",
      "5",
      `http://127.0.0.1:${FLEET_MONITOR_PORT}${path}`,
    ]);
  }

  /** The routes on the server's TUN device (`ip -j route show dev tun0`), parsed. */
  async serverRoutes(): Promise<unknown[]> {
    const text = await this.exec(this.serverNs, "ip", [
      "-j",
      "route",
      "show",
      "dev",
      LAB_INTERFACE,
    ]);
    return JSON.parse(text || "[]") as unknown[];
  }

  /** Resident memory and open descriptors of a process (through `cat` and `ls`: see _proc.ts). */
  async processState(pid: number): Promise<ProcessState> {
    const rssKiB = parseRssKiB(await readProcFile(`/proc/${pid}/status`));
    const listing = await runOk("ls", ["-1", `/proc/${pid}/fd`]);
    return { rssKiB, fds: listing.split("\n").filter(Boolean).length };
  }

  /** Stops every process, deletes every namespace of the lab and its folder. Idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      await this.#children.stopAll(3000);
      const ours = (await listNamespaces()).filter((ns) => ns.startsWith(this.namespacePrefix));
      await deleteNamespaces(ours);
      await Deno.remove(this.dir, { recursive: true }).catch(() => {});
      if (this.#reaper) {
        await this.#reaper.stdin.close().catch(() => {});
        await this.#reaper.status;
      }
      this.#signalGuard?.[Symbol.dispose]();
    })();
    return this.#disposed;
  }
}

/** Runs `ip [global] -batch -` with the lines on standard input; throws with ip's error. */
async function batch(global: readonly string[], lines: string): Promise<void> {
  const result = await run("ip", [...global, "-batch", "-"], { stdin: lines });
  if (result.code !== 0) {
    throw new LabError(`ip ${[...global, "-batch"].join(" ")} failed: ${result.stderr.trim()}`);
  }
}
