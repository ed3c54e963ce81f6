/**
 * The pool lab: two SSSonector servers that announce their clients over BGP to a LAN router,
 * all with real BIRD 2, in namespaces named `ssp-<pid>-…`:
 *
 *   LAN host 10.77.1.10 ── router (BIRD) 10.77.1.1 ─┬─ brlan 10.77.2.1 ── server a .11, b .12
 *                                                   └─ brwan (no address): the "internet"
 *   client 172.31.0.20 on brwan, servers a/b 172.31.0.11/.12 on brwan; the client's own LAN
 *   192.168.77.0/24 and fd77:77::/64 on a veth pair inside its namespace.
 *
 * The servers run examples/bird/server-bird.conf and the router examples/bird/router-bird.conf
 * verbatim (their addresses are the lab's), or with BFD switched off. Disposing stops every
 * process, deletes every namespace and the folder, also when the test failed.
 */

import { type LabHost, run, runOk, stopChild } from "../../tools/lab/netns_lab.ts";
import { TunnelProcess } from "../../tools/lab/tunnel_process.ts";
import { LAUNCHER } from "./e2e_lab.ts";
import { pollUntil } from "./poll.ts";
import {
  CLIENT_LAN_HOST,
  issuePoolCertificates,
  type PoolConfigOptions,
  type PoolServer,
  writePoolConfigs,
} from "./pool_configs.ts";

export { CLIENT_LAN, CLIENT_LAN_HOST, CLIENT_TUNNEL, type PoolServer } from "./pool_configs.ts";

const EXAMPLES = new URL("../../examples/bird/", import.meta.url).pathname;

export interface PoolLabOptions extends PoolConfigOptions {
  /** BFD between the servers and the router. @default true */
  readonly bfd?: boolean;
}

export class PoolLab implements AsyncDisposable {
  readonly id = `ssp-${Deno.pid % 100000}`;
  readonly router: LabHost;
  readonly lanHost: LabHost;
  readonly client: LabHost;
  readonly servers: readonly [PoolServer, PoolServer];
  readonly dir: string;
  #namespaces: string[] = [];
  #children = new Set<Deno.ChildProcess>();
  #tunnels = new Map<string, TunnelProcess>();
  #clientLog: string;
  /** The last lines BIRD wrote, by namespace. */
  readonly birdLogs = new Map<string, string[]>();

  private constructor(dir: string) {
    this.dir = dir;
    const host = (tag: string, ip: string): LabHost => ({
      ns: `${this.id}-${tag}`,
      ip,
      veth: "eth0",
    });
    this.router = host("rt", "10.77.2.1");
    this.lanHost = host("lh", "10.77.1.10");
    this.client = host("cl", "172.31.0.20");
    const server = (name: "a" | "b", last: number): PoolServer => ({
      name,
      host: host(`s${name}`, `172.31.0.${last}`),
      lan: `10.77.2.${last}`,
      lan6: `fd77:2::${last}`,
      config: `${dir}/server-${name}.yaml`,
      log: `${dir}/server-${name}.log`,
    });
    this.servers = [server("a", 11), server("b", 12)];
    this.#clientLog = `${dir}/client.log`;
  }

  static async create(options: PoolLabOptions = {}): Promise<PoolLab> {
    const dir = await Deno.makeTempDir({ prefix: `ssp-pool-${Deno.pid}-` });
    await Deno.chmod(dir, 0o755);
    const lab = new PoolLab(dir);
    try {
      await lab.#wire();
      await issuePoolCertificates(dir, lab.servers);
      await writePoolConfigs(dir, lab.servers, lab.#clientLog, options);
      await lab.#startBird(options.bfd ?? true);
    } catch (error) {
      await lab[Symbol.asyncDispose]();
      throw error;
    }
    return lab;
  }

  /** `ip ARGS` in a namespace. */
  ip(host: LabHost, ...args: string[]): Promise<string> {
    return runOk("ip", ["-n", host.ns, ...args]);
  }

  exec(host: LabHost, cmd: string, ...args: string[]): Promise<string> {
    return runOk("ip", ["netns", "exec", host.ns, cmd, ...args]);
  }

  async #wire(): Promise<void> {
    const { router: rt, lanHost: lh, client: cl } = this;
    for (const host of [rt, lh, cl, ...this.servers.map((s) => s.host)]) {
      await runOk("ip", ["netns", "add", host.ns]);
      this.#namespaces.push(host.ns);
      await this.ip(host, "link", "set", "lo", "up");
    }
    const veth = (a: LabHost, aName: string, b: LabHost, bName: string) =>
      runOk("ip", [
        "link",
        "add",
        aName,
        "netns",
        a.ns,
        "type",
        "veth",
        "peer",
        "name",
        bName,
        "netns",
        b.ns,
      ]);
    for (const bridge of ["brlan", "brwan"]) {
      await this.ip(rt, "link", "add", bridge, "type", "bridge");
      await this.ip(rt, "link", "set", bridge, "up");
    }
    await this.ip(rt, "addr", "add", "10.77.2.1/24", "dev", "brlan");
    await this.ip(rt, "addr", "add", "fd77:2::1/64", "dev", "brlan", "nodad");
    // The LAN host behind the router.
    await veth(lh, "eth0", rt, "lh");
    await this.ip(rt, "addr", "add", "10.77.1.1/24", "dev", "lh");
    await this.ip(rt, "addr", "add", "fd77:1::1/64", "dev", "lh", "nodad");
    await this.ip(rt, "link", "set", "lh", "up");
    await this.ip(lh, "addr", "add", "10.77.1.10/24", "dev", "eth0");
    await this.ip(lh, "addr", "add", "fd77:1::10/64", "dev", "eth0", "nodad");
    await this.ip(lh, "link", "set", "eth0", "up");
    await this.ip(lh, "route", "add", "default", "via", "10.77.1.1");
    await this.ip(lh, "-6", "route", "add", "default", "via", "fd77:1::1");
    for (const ns of [rt, ...this.servers.map((s) => s.host)]) {
      await this.exec(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
      await this.exec(ns, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
    }
    for (const server of this.servers) {
      const h = server.host;
      await veth(h, "lan0", rt, `l${server.name}`);
      await veth(h, "wan0", rt, `w${server.name}`);
      await this.ip(rt, "link", "set", `l${server.name}`, "master", "brlan", "up");
      await this.ip(rt, "link", "set", `w${server.name}`, "master", "brwan", "up");
      await this.ip(h, "addr", "add", `${server.lan}/24`, "dev", "lan0");
      await this.ip(h, "addr", "add", `${server.lan6}/64`, "dev", "lan0", "nodad");
      await this.ip(h, "addr", "add", `${h.ip}/24`, "dev", "wan0");
      await this.ip(h, "link", "set", "lan0", "up");
      await this.ip(h, "link", "set", "wan0", "up");
      await this.ip(h, "route", "add", "10.77.1.0/24", "via", "10.77.2.1");
      await this.ip(h, "-6", "route", "add", "fd77:1::/64", "via", "fd77:2::1");
    }
    await veth(cl, "wan0", rt, "wc");
    await this.ip(rt, "link", "set", "wc", "master", "brwan", "up");
    await this.ip(cl, "addr", "add", `${cl.ip}/24`, "dev", "wan0");
    await this.ip(cl, "link", "set", "wan0", "up");
    // The client's LAN: addresses on one end of a veth pair inside its namespace.
    await this.ip(cl, "link", "add", "lan0", "type", "veth", "peer", "name", "lan1");
    await this.ip(cl, "addr", "add", `${CLIENT_LAN_HOST.v4}/24`, "dev", "lan0");
    await this.ip(cl, "addr", "add", `${CLIENT_LAN_HOST.v6}/64`, "dev", "lan0", "nodad");
    await this.ip(cl, "link", "set", "lan0", "up");
    await this.ip(cl, "link", "set", "lan1", "up");
  }

  /** The control socket of BIRD in `host`. */
  birdSocket(host: LabHost): string {
    return `${this.dir}/${host.ns}.ctl`;
  }

  async #startBird(bfd: boolean): Promise<void> {
    const text = async (file: string) => {
      const conf = await Deno.readTextFile(`${EXAMPLES}/${file}`);
      return bfd ? conf : conf.replaceAll("bfd on;", "bfd off;");
    };
    const configs: [LabHost, string][] = [
      [this.router, await text("router-bird.conf")],
      ...this.servers.map((s): [LabHost, string] => [s.host, ""]),
    ];
    const serverConf = await text("server-bird.conf");
    for (const [host, conf] of configs) {
      const path = `${this.dir}/${host.ns}-bird.conf`;
      await Deno.writeTextFile(path, conf || serverConf);
      const bird = this.#spawn(host, "bird", [
        "-f",
        "-c",
        path,
        "-s",
        this.birdSocket(host),
        "-P",
        `${this.dir}/${host.ns}-bird.pid`,
      ]);
      // Kept for a failing test's message; read so that the pipe never fills.
      const log: string[] = [];
      this.birdLogs.set(host.ns, log);
      (async () => {
        for await (const text of bird.stderr.pipeThrough(new TextDecoderStream())) {
          log.push(text);
          if (log.length > 200) log.shift();
        }
      })().catch(() => {});
    }
    // Both IPv4 and IPv6 sessions of both servers up.
    await this.waitForBgp("established");
  }

  /** Waits until the router's IPv4 and IPv6 sessions with both servers are up. */
  async waitForBgp(what: string): Promise<void> {
    let out = "";
    try {
      await pollUntil(
        async () => {
          out = await this.birdc(this.router, "show", "protocols");
          return (out.match(/Established/g) ?? []).length === 4;
        },
        `BGP sessions of both servers ${what}`,
        { timeoutMs: 30_000, intervalMs: 200 },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; the router's BIRD says:\n${out}`);
    }
  }

  /** `birdc -s SOCKET ARGS` for BIRD in `host`; its output, whatever the exit code. */
  async birdc(host: LabHost, ...args: string[]): Promise<string> {
    const result = await run("birdc", ["-s", this.birdSocket(host), ...args]);
    return result.stdout + result.stderr;
  }

  #spawn(host: LabHost, cmd: string, args: string[]): Deno.ChildProcess {
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", host.ns, cmd, ...args],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#children.add(child);
    child.status.finally(() => this.#children.delete(child));
    return child;
  }

  /** Starts (or starts again) server `server` and waits until it listens. */
  async startServer(server: PoolServer): Promise<TunnelProcess> {
    const child = this.#spawn(server.host, LAUNCHER, ["-config", server.config]);
    const process = new TunnelProcess({ stop: stopChild }, child, server.log);
    this.#tunnels.set(server.name, process);
    const times = async () => (await process.log()).split("listening on").length;
    const before = await times();
    let exited: Deno.CommandStatus | undefined;
    child.status.then((status) => (exited = status));
    await pollUntil(
      async () => {
        if (exited) throw new Error(`server ${server.name} exited: ${await process.stderr()}`);
        return (await times()) > before;
      },
      `server ${server.name} listening`,
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    return process;
  }

  /** Ends server `server` with SIGKILL (no goodbye to anyone) and waits until it is gone. */
  async killServer(server: PoolServer): Promise<void> {
    const process = this.#tunnels.get(server.name);
    if (!process) throw new Error(`server ${server.name} does not run`);
    process.child.kill("SIGKILL");
    await process.child.status;
    this.#tunnels.delete(server.name);
  }

  /** Starts the client and waits until it is connected. */
  async startClient(): Promise<TunnelProcess> {
    const child = this.#spawn(this.client, LAUNCHER, ["-config", `${this.dir}/client.yaml`]);
    const process = new TunnelProcess({ stop: stopChild }, child, this.#clientLog);
    this.#tunnels.set("client", process);
    await process.waitForLog(/connected to /);
    return process;
  }

  /** The router's next hop for `prefix` ("" when it has no route). */
  async nextHop(prefix: string): Promise<string> {
    const family = prefix.includes(":") ? "-6" : "-4";
    const routes = JSON.parse(await this.ip(this.router, "-j", family, "route", "show", prefix));
    return (routes as { gateway?: string }[])[0]?.gateway ?? "";
  }

  /** Waits until the router routes `prefix` via `gateway`. */
  async waitForNextHop(prefix: string, gateway: string, timeoutMs = 20_000): Promise<void> {
    await pollUntil(
      async () => (await this.nextHop(prefix)) === gateway,
      `the router routes ${prefix} via ${gateway}`,
      { timeoutMs, intervalMs: 50 },
    );
  }

  /** Pings `address` from the LAN host until a reply comes back. */
  async reach(address: string, timeoutMs = 15_000): Promise<void> {
    await pollUntil(
      async () => {
        const result = await run("ip", [
          "netns",
          "exec",
          this.lanHost.ns,
          "ping",
          "-n",
          "-c",
          "1",
          "-W",
          "1",
          address,
        ]);
        return result.code === 0;
      },
      `a ping reply from ${address} to the LAN host`,
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** The routes of protocol 83 in a server's namespace, as `ip -j route` lists them. */
  async tunnelRoutes(server: PoolServer, family: "-4" | "-6") {
    const out = await this.ip(server.host, "-j", family, "route", "show", "proto", "83");
    return JSON.parse(out) as { dst: string; metric?: number; dev: string }[];
  }

  /** What a failing test prints: every log, BIRD's routes and the kernels' routes. */
  async diagnose(): Promise<string> {
    const parts: string[] = [];
    for (const [name, process] of this.#tunnels) {
      parts.push(`--- ${name} log\n${await process.log()}`);
    }
    for (const host of [this.router, ...this.servers.map((s) => s.host)]) {
      parts.push(`--- BIRD in ${host.ns}\n${await this.birdc(host, "show", "route", "all")}`);
      parts.push(`--- ${host.ns} BIRD protocols\n${await this.birdc(host, "show", "protocols")}`);
      parts.push(`--- ${host.ns} log\n${this.birdLogs.get(host.ns)?.join("") ?? ""}`);
      parts.push(`--- ${host.ns} routes\n${(await run("ip", ["-n", host.ns, "route"])).stdout}`);
    }
    return parts.join("\n");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all([...this.#children].map((child) => stopChild(child, 3000)));
    for (const ns of this.#namespaces) {
      const { stdout } = await run("ip", ["netns", "pids", ns]);
      for (const pid of stdout.split(/\s+/).filter(Boolean)) await run("kill", ["-9", pid]);
      await run("ip", ["netns", "del", ns]);
    }
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
