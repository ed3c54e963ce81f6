/**
 * A booted systemd for tests: systemd 252 as PID 1 in `systemd-nspawn`, on a throw-away copy of
 * this machine's root (an overlay whose upper layer is a temporary folder, so `apt install`
 * inside changes nothing outside), in a network namespace of its own joined by veth to a second
 * namespace for a client. Commands run inside through `nsenter` into the container's systemd.
 *
 * nspawn refuses `-D /` without --volatile, and --volatile=yes leaves /etc and /var empty (no
 * dpkg database): hence the overlay. Files changed in the lower layer after the overlay is
 * mounted are not reliably seen inside, so a test hands files in through `shared` (a bind mount
 * at /sss). Disposing powers the container off, unmounts the overlay, deletes both namespaces and
 * the folder, also after a failure.
 *
 * @module
 */

import { run, runOk } from "../../tools/lab/netns_lab.ts";
import { pollUntil } from "./poll.ts";

/** Where the shared folder appears inside the container. */
export const SHARED_INSIDE = "/sss";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The pid of the process called systemd among `pid`'s descendants, or 0. */
async function systemdUnder(pid: number): Promise<number> {
  const children = await run("pgrep", ["-P", String(pid)]);
  for (const child of children.stdout.trim().split("\n").filter((line) => line !== "")) {
    const comm = await Deno.readTextFile(`/proc/${child}/comm`).catch(() => "");
    if (comm.trim() === "systemd") return Number(child);
    const deeper = await systemdUnder(Number(child));
    if (deeper > 0) return deeper;
  }
  return 0;
}

export class BootedContainer implements AsyncDisposable {
  /** The container's (and server's) namespace, and the client's. */
  readonly ns: string;
  readonly clientNs: string;
  /** Underlay addresses: the container's and the client namespace's. */
  readonly ip = "192.168.77.1";
  readonly clientIp = "192.168.77.2";
  /** A host folder bind-mounted at /sss inside. */
  readonly shared: string;
  readonly #dir: string;
  #nspawn: Deno.ChildProcess | undefined;
  #leader = 0;
  #mounted = false;
  #namespaces: string[] = [];

  private constructor(dir: string, tag: string) {
    this.#dir = dir;
    this.shared = `${dir}/shared`;
    this.ns = `sss-sd${tag}`;
    this.clientNs = `sss-sd${tag}c`;
  }

  /** Boots the container; `tag` (a few letters) keeps parallel tests apart. */
  static async boot(tag: string): Promise<BootedContainer> {
    const short = `${tag}${Deno.pid % 100000}`;
    const dir = await Deno.makeTempDir({ prefix: `sss-nspawn-${Deno.pid}-` });
    const container = new BootedContainer(dir, short);
    try {
      await container.#start(short);
      return container;
    } catch (error) {
      await container[Symbol.asyncDispose]();
      throw error;
    }
  }

  async #start(tag: string): Promise<void> {
    const dir = this.#dir;
    const root = `${dir}/root`;
    for (const sub of ["up", "work", "root", "shared"]) await Deno.mkdir(`${dir}/${sub}`);
    await runOk("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=/,upperdir=${dir}/up,workdir=${dir}/work`,
      root,
    ]);
    this.#mounted = true;
    // Services of this machine that the first boot would start (sshd, Prometheus on 9090, …):
    // the copy boots with none of them.
    for (const wants of ["multi-user.target.wants", "timers.target.wants"]) {
      const folder = `${root}/etc/systemd/system/${wants}`;
      const entries = await Array.fromAsync(Deno.readDir(folder)).catch(() => []);
      for (const entry of entries) await Deno.remove(`${folder}/${entry.name}`);
    }
    for (const ns of [this.ns, this.clientNs]) {
      await runOk("ip", ["netns", "add", ns]);
      this.#namespaces.push(ns);
    }
    const veth = `sssd${tag}`;
    await runOk("ip", [
      "link",
      "add",
      `${veth}a`,
      "netns",
      this.ns,
      "type",
      "veth",
      "peer",
      "name",
      `${veth}b`,
      "netns",
      this.clientNs,
    ]);
    for (
      const [ns, dev, ip] of [[this.ns, `${veth}a`, this.ip], [
        this.clientNs,
        `${veth}b`,
        this.clientIp,
      ]]
    ) {
      await runOk("ip", ["-n", ns!, "addr", "add", `${ip}/24`, "dev", dev!]);
      await runOk("ip", ["-n", ns!, "link", "set", dev!, "up"]);
      await runOk("ip", ["-n", ns!, "link", "set", "lo", "up"]);
    }
    this.#nspawn = new Deno.Command("systemd-nspawn", {
      args: [
        "-D",
        root,
        "--register=no",
        "--keep-unit",
        "--quiet",
        "--console=passive",
        "-M",
        this.ns,
        "--capability=CAP_NET_ADMIN",
        `--network-namespace-path=/run/netns/${this.ns}`,
        "--bind=/dev/net/tun",
        `--bind=${this.shared}:${SHARED_INSIDE}`,
        "-b",
        "systemd.firstboot=off",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const nspawnPid = this.#nspawn.pid;
    // nspawn forks twice before systemd runs: the leader is the descendant whose comm is systemd.
    await pollUntil(
      async () => {
        this.#leader = await systemdUnder(nspawnPid);
        return this.#leader > 0;
      },
      "the container's systemd to start",
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // Until its bus is up, systemctl cannot connect; "degraded" is fine: the copy's own units may
    // fail, the tests look at theirs only.
    let state = "";
    await pollUntil(
      async () => {
        const result = await this.exec("systemctl is-system-running --wait");
        state = result.stdout + result.stderr;
        return /^(running|degraded)$/m.test(result.stdout);
      },
      `the container's systemd to finish booting (${state.trim()})`,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
  }

  /** Runs a bash script inside the booted container, as root; never throws for its exit code. */
  async exec(script: string): Promise<CommandResult> {
    return await run("nsenter", [
      "-t",
      String(this.#leader),
      "-m",
      "-u",
      "-i",
      "-n",
      "-p",
      "-C",
      "bash",
      "-s",
    ], { stdin: `set -o pipefail\n${script}\n` });
  }

  /** {@linkcode exec}, failing with the script's output when it exits non-zero. */
  async execOk(script: string): Promise<string> {
    const result = await this.exec(script);
    if (result.code !== 0) {
      throw new Error(
        `inside the container, exit ${result.code}:\n${script}\n--- stdout\n${result.stdout}` +
          `--- stderr\n${result.stderr}`,
      );
    }
    return result.stdout;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#nspawn) {
      // SIGTERM makes nspawn power the container off; SIGKILL if that takes too long.
      const child = this.#nspawn;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 20_000);
      await child.status;
      clearTimeout(timer);
    }
    if (this.#mounted) {
      const plain = await run("umount", [`${this.#dir}/root`]);
      if (plain.code !== 0) await run("umount", ["-l", `${this.#dir}/root`]);
    }
    for (const ns of this.#namespaces) await run("ip", ["netns", "del", ns]);
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
