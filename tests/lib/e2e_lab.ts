/**
 * The end-to-end lab: a NetnsLab (server and client namespaces joined by veth) plus a temporary
 * folder with a fresh CA, extra hosts attached to the server, configuration files and real
 * `sssonector` processes started through the checkout launcher. Disposing it stops every process,
 * deletes every namespace it made and removes the folder, also when the test failed, and so does
 * a SIGTERM or SIGINT that comes while it lives (`timeout` cutting a test short).
 */

import { parsePing } from "../../tools/lab/ping.ts";
import { writeLabConfigs } from "../../tools/lab/lab_configs.ts";
import { type LabHost, NetnsLab, run, runOk } from "../../tools/lab/netns_lab.ts";
import { TunnelProcess } from "../../tools/lab/tunnel_process.ts";
import { waitForPing } from "../../tools/lab/wait_for_ping.ts";
import { cleanUpOnSignal } from "../../tools/lab/signal_cleanup.ts";
import { generateCertificates } from "../../src/pki/generate.ts";
import { issueCaWithClients } from "./pki_fixtures.ts";

/** The checkout launcher: builds the TUN shim and runs src/main.ts with the shipped permissions. */
/**
 * The program the lab starts. SSSONECTOR_E2E_LAUNCHER points the same tests at another checkout's
 * launcher, e.g. an older commit, to show that a test fails without a fix.
 */
export const LAUNCHER = Deno.env.get("SSSONECTOR_E2E_LAUNCHER") ??
  new URL("../../sssonector", import.meta.url).pathname;
const PROBE = new URL("./e2e_probe.ts", import.meta.url).pathname;
const STRANGER = new URL("../../tools/lab/stranger.ts", import.meta.url).pathname;

export const SERVER_TUNNEL_IP = "10.0.0.1";
export const CLIENT_TUNNEL_IP = "10.0.0.2";
export const TUNNEL_PORT = 443;

/** Start of the namespace tags of the labs (`sss-e2e<tag><pid><n>-srv` and so on). */
export const LAB_TAG_PREFIX = "e2e";
/** Start of the temporary folders of this process's labs; carries the pid for leak checks. */
export const TEMP_PREFIX = `sssonector-e2e-${Deno.pid}-`;

export interface TunnelConfigOptions {
  /** Folder with ca.crt and the certificates. @default the lab's own CA folder */
  readonly certDir?: string;
  /** Client certificate stem in certDir. @default "client" */
  readonly clientName?: string;
  /** Client tunnel address with prefix. @default "10.0.0.2/24" */
  readonly clientAddress?: string;
  /** @default 1500 */
  readonly mtu?: number;
  /** network.offload; left out of the file (so the default applies) when undefined. */
  readonly offload?: boolean;
  /** Extra keys of the server's `security:` section. */
  readonly serverSecurity?: Readonly<Record<string, number | string>>;
  /** logging.level of both ends. @default "info" */
  readonly level?: string;
  /** The client logs to standard output instead of its log file. */
  readonly clientLogToStdout?: boolean;
  /** logging.file of the client, instead of the lab's. */
  readonly clientLogFile?: string;
  /** Server tunnel address (YAML: one or a list). @default "10.0.0.1/24" */
  readonly serverAddress?: string;
  /** Top-level YAML appended to the server's file. */
  readonly serverExtra?: string;
  /** Top-level YAML appended to the client's file. */
  readonly clientExtra?: string;
}

/** A LAN host behind a tunnel host: 192.168.N.2/24 and fd00:N::2/64, its gateway at .1 / ::1. */
export interface LanHost extends LabHost {
  readonly ip6: string;
  /** `192.168.N.0/24` */
  readonly network: string;
  /** `fd00:N::/64` */
  readonly network6: string;
}

export interface TunnelConfigs {
  readonly serverConfig: string;
  readonly clientConfig: string;
  readonly serverLog: string;
  readonly clientLog: string;
}

export interface PingResult {
  readonly ok: boolean;
  readonly output: string;
}

/** The promise's value, or undefined when it takes longer than ms (the timer never outlives it). */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

let hostCounter = 0;

export class E2eLab implements AsyncDisposable {
  readonly net: NetnsLab;
  /** Temporary folder of this lab; removed on dispose. */
  readonly dir: string;
  /** The CA, server (for 198.18.0.1) and "client" certificates. */
  readonly certDir: string;
  readonly #extraHosts: LabHost[] = [];
  readonly #processes: TunnelProcess[] = [];
  #configCounter = 0;
  #disposing: Promise<void> | undefined;
  /** Cleans up (extra hosts and the folder too) if the process is told to stop first. */
  readonly #signalGuard = cleanUpOnSignal(() => this[Symbol.asyncDispose]());

  private constructor(net: NetnsLab, dir: string) {
    this.net = net;
    this.dir = dir;
    this.certDir = `${dir}/certs`;
  }

  /** Creates the namespaces, the folder and a CA with a server and a "client" certificate. */
  static async create(tag: string): Promise<E2eLab> {
    const net = await NetnsLab.create(`${LAB_TAG_PREFIX}${tag}`);
    let dir: string | undefined;
    let lab: E2eLab | undefined;
    try {
      dir = await Deno.makeTempDir({ prefix: `${TEMP_PREFIX}${tag}-` });
      // As least-privilege.md asks: the run user (nobody) can reach the files it reloads.
      await Deno.chmod(dir, 0o755);
      lab = new E2eLab(net, dir);
      await lab.issue({ certDir: lab.certDir, serverIp: net.server.ip, clientName: "client" });
      return lab;
    } catch (error) {
      if (lab) await lab[Symbol.asyncDispose]();
      await net[Symbol.asyncDispose]();
      if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  get server(): LabHost {
    return this.net.server;
  }

  get client(): LabHost {
    return this.net.client;
  }

  /**
   * Writes certificates into certDir: a new CA with a server and client certificate when the
   * folder has none, else one more client certificate from the CA already there.
   */
  async issue(options: { certDir: string; serverIp?: string; clientName: string }): Promise<void> {
    await generateCertificates({
      certDir: options.certDir,
      ...(options.serverIp === undefined ? {} : { serverIp: options.serverIp }),
      serverNames: [],
      clientName: options.clientName,
      days: 1,
      keyType: "ecdsa-p256",
      force: false,
    });
    await shareKeysWithRunGroup(options.certDir);
  }

  /**
   * Issues `NAME.crt`/`NAME.key` in certDir with openssl, signed by the CA there, with the given
   * extendedKeyUsage (e.g. "serverAuth") and keyUsage digitalSignature.
   */
  async issueWithOpenssl(certDir: string, name: string, extendedKeyUsage: string): Promise<void> {
    const ext = `${this.dir}/${name}.ext`;
    await Deno.writeTextFile(
      ext,
      "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n" +
        `extendedKeyUsage = ${extendedKeyUsage}\n`,
    );
    await runOk("openssl", [
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${certDir}/${name}.key`,
      "-out",
      `${this.dir}/${name}.csr`,
    ]);
    await runOk("openssl", [
      "x509",
      "-req",
      "-in",
      `${this.dir}/${name}.csr`,
      "-CA",
      `${certDir}/ca.crt`,
      "-CAkey",
      `${certDir}/ca.key`,
      "-set_serial",
      String(Date.now()),
      "-days",
      "1",
      "-extfile",
      ext,
      "-out",
      `${certDir}/${name}.crt`,
    ]);
    await shareKeysWithRunGroup(certDir);
  }

  /** Writes a server and a client configuration into a new folder of the lab. */
  async configs(options: TunnelConfigOptions = {}): Promise<TunnelConfigs> {
    const dir = `${this.dir}/run${this.#configCounter++}`;
    await Deno.mkdir(dir);
    const configs = await writeLabConfigs(this.net, {
      certDir: options.certDir ?? this.certDir,
      dir,
      port: TUNNEL_PORT,
      mtu: options.mtu ?? 1500,
      ...(options.clientName === undefined ? {} : { clientName: options.clientName }),
      ...(options.clientAddress === undefined ? {} : { clientAddress: options.clientAddress }),
      ...(options.offload === undefined ? {} : { offload: options.offload }),
      ...(options.serverSecurity === undefined ? {} : { serverSecurity: options.serverSecurity }),
      ...(options.level === undefined ? {} : { level: options.level }),
      ...(options.clientLogToStdout ? { clientLog: null } : {}),
      ...(options.clientLogFile ? { clientLog: options.clientLogFile } : {}),
      ...(options.serverAddress === undefined ? {} : { serverAddress: options.serverAddress }),
      ...(options.serverExtra === undefined ? {} : { serverExtra: options.serverExtra }),
      ...(options.clientExtra === undefined ? {} : { clientExtra: options.clientExtra }),
    });
    return configs;
  }

  /** Starts `sssonector -config FILE` through the launcher in a host's namespace. */
  start(
    host: LabHost,
    configPath: string,
    logPath: string,
    options: { fileLimit?: number; stdout?: "piped" } = {},
  ): TunnelProcess {
    const [cmd, args] = options.fileLimit === undefined
      ? [LAUNCHER, ["-config", configPath]]
      : ["prlimit", [`--nofile=${options.fileLimit}`, "--", LAUNCHER, "-config", configPath]];
    const child = this.net.spawn(host, cmd, args, {
      stderr: "piped",
      ...(options.stdout ? { stdout: options.stdout } : {}),
    });
    const process = new TunnelProcess(this.net, child, logPath);
    this.#processes.push(process);
    return process;
  }

  /** Starts the server and waits until it listens. */
  async startServer(configs: TunnelConfigs): Promise<TunnelProcess> {
    const server = this.start(this.server, configs.serverConfig, configs.serverLog);
    await server.waitForLog(/listening on/);
    return server;
  }

  /** Starts a client (in the client namespace unless told) and waits until it is connected. */
  async startClient(configs: TunnelConfigs, host: LabHost = this.client): Promise<TunnelProcess> {
    const client = this.start(host, configs.clientConfig, configs.clientLog);
    await client.waitForLog(/connected to .*/);
    return client;
  }

  /**
   * A third host: its own namespace with a veth pair to the server namespace, on subnet
   * 198.18.N.0/24 (server side .1, new host .2), routed to the server's underlay address.
   */
  async addHost(): Promise<LabHost> {
    const n = this.#extraHosts.length + 1;
    const id = `${Deno.pid % 100000}${hostCounter++}`;
    const host: LabHost = {
      ns: `sss-${LAB_TAG_PREFIX}${id}-h${n}`,
      ip: `198.18.${n}.2`,
      veth: `vh${id}`.slice(0, 15),
    };
    const serverEnd = `vs${id}`.slice(0, 15);
    await this.#newHostBehind(this.server, serverEnd, host);
    await this.net.exec(this.server, "ip", ["addr", "add", `198.18.${n}.1/24`, "dev", serverEnd]);
    await this.net.exec(this.server, "ip", ["link", "set", serverEnd, "up"]);
    await this.net.exec(host, "ip", ["link", "set", "lo", "up"]);
    await this.net.exec(host, "ip", ["addr", "add", `${host.ip}/24`, "dev", host.veth]);
    await this.net.exec(host, "ip", ["link", "set", host.veth, "up"]);
    await this.net.exec(host, "ip", ["route", "add", "default", "via", `198.18.${n}.1`]);
    return host;
  }

  /**
   * A LAN behind `gateway` (a tunnel host): a namespace joined to it by a veth pair, on
   * 192.168.N.0/24 and fd00:N::/64 (gateway .1 and ::1, LAN host .2 and ::2), with default
   * routes through the gateway, which forwards both families.
   */
  async addLan(gateway: LabHost, n: number): Promise<LanHost> {
    const id = `${Deno.pid % 100000}${hostCounter++}`;
    const hex = n.toString(16);
    const host: LanHost = {
      ns: `sss-${LAB_TAG_PREFIX}${id}-l${n}`,
      ip: `192.168.${n}.2`,
      ip6: `fd00:${hex}::2`,
      veth: `vl${id}`.slice(0, 15),
      network: `192.168.${n}.0/24`,
      network6: `fd00:${hex}::/64`,
    };
    const gatewayEnd = `vg${id}`.slice(0, 15);
    await this.#newHostBehind(gateway, gatewayEnd, host);
    const exec = (on: LabHost, ...args: string[]) => this.net.exec(on, args[0]!, args.slice(1));
    await exec(gateway, "ip", "addr", "add", `192.168.${n}.1/24`, "dev", gatewayEnd);
    await exec(gateway, "ip", "addr", "add", `fd00:${hex}::1/64`, "dev", gatewayEnd, "nodad");
    await exec(gateway, "ip", "link", "set", gatewayEnd, "up");
    await exec(gateway, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    await exec(gateway, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
    await exec(host, "ip", "link", "set", "lo", "up");
    await exec(host, "ip", "addr", "add", `${host.ip}/24`, "dev", host.veth);
    await exec(host, "ip", "addr", "add", `${host.ip6}/64`, "dev", host.veth, "nodad");
    await exec(host, "ip", "link", "set", host.veth, "up");
    await exec(host, "ip", "route", "add", "default", "via", `192.168.${n}.1`);
    await exec(host, "ip", "-6", "route", "add", "default", "via", `fd00:${hex}::1`);
    return host;
  }

  /**
   * Creates `host`'s namespace (removed on dispose) and a veth pair from `outer`'s namespace
   * (end `outerEnd`) to it (end `host.veth`); addresses and routes are the caller's.
   */
  async #newHostBehind(outer: LabHost, outerEnd: string, host: LabHost): Promise<void> {
    await runOk("ip", ["netns", "add", host.ns]);
    this.#extraHosts.push(host);
    await runOk("ip", [
      "link",
      "add",
      outerEnd,
      "netns",
      outer.ns,
      "type",
      "veth",
      "peer",
      "name",
      host.veth,
      "netns",
      host.ns,
    ]);
  }

  /** `ip -j ARGS` in a host's namespace, parsed. */
  async ipJson(host: LabHost, args: string[]): Promise<unknown> {
    return JSON.parse(await this.net.exec(host, "ip", ["-j", ...args]));
  }

  /** Whether an interface exists in a host's namespace. */
  async hasLink(host: LabHost, name: string): Promise<boolean> {
    return (await this.net.try(host, "ip", ["link", "show", name])).code === 0;
  }

  /** Sends `count` pings; ok when every one was answered. */
  async ping(host: LabHost, to: string, options: { count?: number; from?: string } = {}) {
    const count = options.count ?? 3;
    const result = await this.net.try(host, "ping", [
      "-n",
      "-c",
      String(count),
      "-i",
      "0.2",
      "-W",
      "1",
      ...(options.from === undefined ? [] : ["-I", options.from]),
      to,
    ]);
    return {
      ok: result.code === 0 && parsePing(result.stdout).received === count,
      output: result.stdout + result.stderr,
    } satisfies PingResult;
  }

  /** Pings until a reply comes or timeoutMs passes; returns the ms it took. */
  waitForPing(host: LabHost, to: string, timeoutMs = 15_000): Promise<number> {
    return waitForPing(this.net, host, to, { timeoutMs });
  }

  /** Runs the probe script in a host's namespace to completion; returns its JSON report. */
  async probe(host: LabHost, args: string[]): Promise<Record<string, unknown>> {
    const result = await this.net.try(host, Deno.execPath(), [
      "run",
      "-A",
      "--quiet",
      PROBE,
      ...args,
    ]);
    const line = result.stdout.trim().split("\n").at(-1) ?? "";
    if (result.code !== 0 || !line.startsWith("{")) {
      throw new Error(`Probe ${args[0]} failed (exit ${result.code}): ${result.stderr.trim()}`);
    }
    return JSON.parse(line);
  }

  /**
   * Starts the probe script in a host's namespace without waiting for it; `ready` resolves with
   * its first JSON line, `done` with its last once it exits.
   */
  spawnProbe(host: LabHost, args: string[]) {
    return this.spawnScript(host, PROBE, args);
  }

  /** The stranger script (tools/lab/stranger.ts): what an attacker does to the server's port. */
  spawnStranger(host: LabHost, args: string[]) {
    return this.spawnScript(host, STRANGER, args);
  }

  /** Runs a Deno script of tests/lib in a host's namespace; see spawnProbe. */
  spawnScript(host: LabHost, script: string, args: string[]) {
    const child = this.net.spawn(
      host,
      Deno.execPath(),
      ["run", "-A", "--quiet", script, ...args],
      { stdout: "piped", stderr: "piped" },
    );
    const lines: string[] = [];
    let announce: (line: string) => void = () => {};
    const firstLine = new Promise<string>((resolve) => (announce = resolve));
    const stdout = (async () => {
      let pending = "";
      for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
        pending += text;
        let newline;
        while ((newline = pending.indexOf("\n")) >= 0) {
          lines.push(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
          announce(lines[0]!);
        }
      }
    })();
    const stderr = new Response(child.stderr).text();
    const done = (async () => {
      const [status, , errors] = await Promise.all([child.status, stdout, stderr]);
      const last = lines.at(-1);
      if (!status.success || last === undefined) {
        throw new Error(`${script} ${args[0]} failed (exit ${status.code}): ${errors.trim()}`);
      }
      return JSON.parse(last) as Record<string, unknown>;
    })();
    // Ready with the first line; a probe that exits before printing one fails `ready` too.
    const ready = Promise.race([firstLine, done.then(() => lines[0]!)])
      .then((line) => JSON.parse(line) as Record<string, unknown>);
    done.catch(() => {});
    ready.catch(() => {});
    return { child, ready, done };
  }

  /** Captures packets on an interface of a host with tcpdump, until the returned stop(). */
  async capture(host: LabHost, iface: string, file: string, filter: string[] = []) {
    const child = this.net.spawn(
      host,
      "tcpdump",
      ["-i", iface, "--immediate-mode", "-U", "-n", "-Z", "root", "-w", file, ...filter],
      { stderr: "piped" },
    );
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const deadline = Date.now() + 10_000;
    while (!text.includes("listening on")) {
      const next = await withTimeout(reader.read(), Math.max(0, deadline - Date.now()));
      if (next === undefined || next.done) {
        await this.net.stop(child, 1000);
        throw new Error(`tcpdump on ${iface} did not start: ${text}`);
      }
      text += next.value;
    }
    const drained = (async () => {
      while (!(await reader.read()).done) { /* keep the pipe empty */ }
    })();
    return {
      stop: async () => {
        // tcpdump flushes and closes the file on SIGTERM.
        await this.net.stop(child, 3000);
        await drained.catch(() => {});
        return await Deno.readFile(file);
      },
    };
  }

  /** Lines of `tcpdump -r FILE -n FILTER`. */
  async readCapture(file: string, filter: string[] = []): Promise<string[]> {
    const result = await run("tcpdump", ["-r", file, "-n", ...filter]);
    if (result.code !== 0) throw new Error(`tcpdump -r ${file} failed: ${result.stderr.trim()}`);
    return result.stdout.split("\n").filter((line) => line.trim() !== "");
  }

  /** Stops every process, deletes every namespace and the folder; a second call waits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#disposing ??= this.#dispose();
  }

  async #dispose(): Promise<void> {
    await Promise.all(this.#processes.map((process) => process.stop(3000)));
    await this.net[Symbol.asyncDispose]();
    for (const host of this.#extraHosts) {
      const { stdout } = await run("ip", ["netns", "pids", host.ns]);
      for (const pid of stdout.split(/\s+/).filter(Boolean)) await run("kill", ["-9", pid]);
      await run("ip", ["netns", "del", host.ns]);
    }
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    this.#signalGuard[Symbol.dispose]();
  }
}

/** The group a tunnel started as root runs as after setup (nobody's primary group on Debian). */
export const RUN_GROUP = "nogroup";

/**
 * The documented layout for keys a tunnel reloads after dropping privileges: every key but the
 * CA's 0640 root:nogroup, the folder searchable.
 */
export async function shareKeysWithRunGroup(certDir: string): Promise<void> {
  await Deno.chmod(certDir, 0o755);
  for await (const entry of Deno.readDir(certDir)) {
    if (!entry.name.endsWith(".key") || entry.name === "ca.key") continue;
    const path = `${certDir}/${entry.name}`;
    await runOk("chgrp", [RUN_GROUP, path]);
    await Deno.chmod(path, 0o640);
  }
}

/** A temporary folder with a CA, a server and a "client" certificate, for tests without a lab. */
export class TempCertificates implements AsyncDisposable {
  readonly dir: string;
  readonly certDir: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.certDir = `${dir}/certs`;
  }

  static async create(serverIp = "198.18.0.1"): Promise<TempCertificates> {
    const temp = new TempCertificates(await Deno.makeTempDir({ prefix: `${TEMP_PREFIX}certs-` }));
    try {
      await issueCaWithClients(temp.certDir, serverIp, ["client"], { days: 1 });
    } catch (error) {
      await temp[Symbol.asyncDispose]();
      throw error;
    }
    return temp;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** Runs `sssonector ARGS` through the launcher on this host (outside any namespace). */
export function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(LAUNCHER, args);
}

/** True when `haystack` contains the bytes of `needle`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  const first = needle[0];
  outer: for (let i = haystack.indexOf(first!); i >= 0 && i <= haystack.length - needle.length;) {
    for (let j = 1; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) {
        i = haystack.indexOf(first!, i + 1);
        continue outer;
      }
    }
    return true;
  }
  return false;
}
