/**
 * A two-host lab on one machine: two network namespaces joined by a veth pair. Used by the demo,
 * the benchmark and the end-to-end tests. Needs root and the `ip` command; touches nothing outside
 * its own namespaces, and removes them (and every process it started in them) on dispose, or on
 * SIGTERM/SIGINT while it lives (tools/lab/signal_cleanup.ts).
 */
import { cleanUpOnSignal } from "./signal_cleanup.ts";

export interface LabHost {
  /** Namespace name. */
  readonly ns: string;
  /** Underlay (veth) address, reachable from the other host. */
  readonly ip: string;
  readonly veth: string;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command failed; the message carries its stderr. */
export class LabError extends Error {
  override name = "LabError";
}

/** Runs a command to completion and returns its output; never throws for a non-zero exit. */
export async function run(cmd: string, args: string[], options: { stdin?: string } = {}) {
  const child = new Deno.Command(cmd, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Runs a command and throws LabError when it fails. */
export async function runOk(cmd: string, args: string[]): Promise<string> {
  const result = await run(cmd, args);
  if (result.code !== 0) {
    throw new LabError(
      `${cmd} ${args.join(" ")} failed (exit ${result.code}): ${result.stderr.trim()}`,
    );
  }
  return result.stdout;
}

/** The namespace between server and client in a lab made with `middle`: one veth end to each. */
export interface LabMiddle {
  readonly ns: string;
  /** Its end of the server's veth pair. */
  readonly towardServer: string;
  /** Its end of the client's veth pair. */
  readonly towardClient: string;
}

export interface NetnsLabOptions {
  /**
   * Joins server and client through a third namespace instead of one veth pair: nothing passes
   * until something in it relays frames between its two interfaces (tools/lab/wan_link.ts).
   * @default false
   */
  readonly middle?: boolean;
}

export class NetnsLab implements AsyncDisposable {
  readonly server: LabHost;
  readonly client: LabHost;
  /** Present when the lab was created with `middle`. */
  middle: LabMiddle | undefined;
  #children = new NamespaceChildren();
  /** The namespaces this lab added: the only ones it deletes. */
  #namespaces: string[] = [];
  #disposing: Promise<void> | undefined;
  /** Cleans up if the process is told to stop before the lab is disposed. */
  readonly #signalGuard = cleanUpOnSignal(() => this[Symbol.asyncDispose]());

  private constructor(server: LabHost, client: LabHost) {
    this.server = server;
    this.client = client;
  }

  /**
   * Creates the namespaces and the veth link, named `sss-<tag><pid><n>-srv` and `-cli`: `tag`
   * tells what made them, the pid (last 5 digits) keeps processes apart and `n`, random, keeps
   * one process's labs apart (a name already taken is drawn again). The underlay uses
   * 198.18.0.0/24 (the benchmarking range), which exists only inside the lab.
   */
  static async create(tag = "lab", options: NetnsLabOptions = {}): Promise<NetnsLab> {
    const lab = await NetnsLab.#withServerNamespace(tag);
    const { server, client } = lab;
    try {
      await runOk("ip", ["netns", "add", client.ns]);
      lab.#namespaces.push(client.ns);
      if (options.middle) {
        await lab.#addMiddle();
      } else {
        await runOk("ip", [
          "link",
          "add",
          server.veth,
          "netns",
          server.ns,
          "type",
          "veth",
          "peer",
          "name",
          client.veth,
          "netns",
          client.ns,
        ]);
      }
      for (const host of [server, client]) {
        await lab.exec(host, "ip", ["link", "set", "lo", "up"]);
        await lab.exec(host, "ip", ["addr", "add", `${host.ip}/24`, "dev", host.veth]);
        await lab.exec(host, "ip", ["link", "set", host.veth, "up"]);
      }
    } catch (error) {
      await lab[Symbol.asyncDispose]();
      throw error;
    }
    return lab;
  }

  /** The middle namespace and a veth pair from it to each host, its ends up. */
  async #addMiddle(): Promise<void> {
    const id = this.server.ns.slice("sss-".length, -"-srv".length);
    const middle: LabMiddle = {
      ns: `sss-${id}-mid`,
      towardServer: `ms${id}`.slice(0, 15),
      towardClient: `mc${id}`.slice(0, 15),
    };
    await runOk("ip", ["netns", "add", middle.ns]);
    this.#namespaces.push(middle.ns);
    this.middle = middle;
    for (
      const [host, end] of [[this.server, middle.towardServer], [
        this.client,
        middle.towardClient,
      ]] as const
    ) {
      await runOk("ip", [
        ...["link", "add", host.veth, "netns", host.ns, "type", "veth"],
        ...["peer", "name", end, "netns", middle.ns],
      ]);
      await runOk("ip", ["netns", "exec", middle.ns, "ip", "link", "set", end, "up"]);
    }
    await runOk("ip", ["netns", "exec", middle.ns, "ip", "link", "set", "lo", "up"]);
  }

  /** A lab with a fresh name whose server namespace has been added. */
  static async #withServerNamespace(tag: string): Promise<NetnsLab> {
    for (let attempt = 1;; attempt++) {
      const id = `${tag}${Deno.pid % 100000}${randomDigits(6)}`;
      const lab = new NetnsLab(
        { ns: `sss-${id}-srv`, ip: "198.18.0.1", veth: `vs${id}`.slice(0, 15) },
        { ns: `sss-${id}-cli`, ip: "198.18.0.2", veth: `vc${id}`.slice(0, 15) },
      );
      const added = await run("ip", ["netns", "add", lab.server.ns]);
      if (added.code === 0) {
        lab.#namespaces.push(lab.server.ns);
        return lab;
      }
      lab.#signalGuard[Symbol.dispose]();
      if (!/exists/i.test(added.stderr) || attempt === 5) {
        throw new LabError(
          `ip netns add ${lab.server.ns} failed (exit ${added.code}): ${added.stderr.trim()}`,
        );
      }
    }
  }

  /** Runs a command inside a host's namespace and throws if it fails. */
  exec(host: LabHost, cmd: string, args: string[]): Promise<string> {
    return runOk("ip", ["netns", "exec", host.ns, cmd, ...args]);
  }

  /** Runs a command inside a host's namespace and returns its result, whatever the exit code. */
  try(host: LabHost, cmd: string, args: string[], options: { stdin?: string } = {}) {
    return run("ip", ["netns", "exec", host.ns, cmd, ...args], options);
  }

  /** Starts a long-running process inside a host's namespace; the lab stops it on dispose. */
  spawn(
    host: LabHost,
    cmd: string,
    args: string[],
    options: {
      stdout?: "piped" | "null" | "inherit";
      stderr?: "piped" | "null" | "inherit";
      stdin?: "piped" | "null";
    } = {},
  ): Deno.ChildProcess {
    return this.#children.spawn(host.ns, cmd, args, options);
  }

  /** Stops a process the lab started: SIGTERM, then SIGKILL after `graceMs`. */
  stop(child: Deno.ChildProcess, graceMs = 5000): Promise<Deno.CommandStatus> {
    return stopChild(child, graceMs);
  }

  /**
   * Stops every process still running, then deletes its namespaces (and so the veth pairs). A
   * second call (a signal during disposal) waits for the first.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#disposing ??= this.#dispose();
  }

  async #dispose(): Promise<void> {
    await this.#children.stopAll(3000);
    for (const ns of this.#namespaces) {
      // Any process we did not start ourselves (a forked helper) must not keep the namespace.
      await run("ip", ["netns", "pids", ns]).then(async ({ stdout }) => {
        for (const pid of stdout.split(/\s+/).filter(Boolean)) await run("kill", ["-9", pid]);
      });
      await run("ip", ["netns", "del", ns]);
    }
    this.#signalGuard[Symbol.dispose]();
  }
}

/**
 * The long-running processes a lab started in its namespaces (`ip netns exec`), each tracked until
 * it exits, so that the lab's disposal can stop those still running.
 */
export class NamespaceChildren {
  #children = new Set<Deno.ChildProcess>();

  /** Starts `cmd` in namespace `ns`, its standard streams "null" unless `options` say otherwise. */
  spawn(
    ns: string,
    cmd: string,
    args: readonly string[],
    options: {
      stdin?: "piped" | "null";
      stdout?: "piped" | "null" | "inherit";
      stderr?: "piped" | "null" | "inherit";
      env?: Record<string, string>;
    } = {},
  ): Deno.ChildProcess {
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", ns, cmd, ...args],
      stdin: options.stdin ?? "null",
      stdout: options.stdout ?? "null",
      stderr: options.stderr ?? "null",
      ...(options.env === undefined ? {} : { env: options.env }),
    }).spawn();
    this.#children.add(child);
    child.status.finally(() => this.#children.delete(child));
    return child;
  }

  /** Stops every one still running (stopChild: SIGTERM, then SIGKILL after `graceMs`). */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all([...this.#children].map((child) => stopChild(child, graceMs)));
  }
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
export async function stopChild(
  child: Deno.ChildProcess,
  graceMs = 5000,
): Promise<Deno.CommandStatus> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      resolve();
    }, graceMs);
  });
  const status = await Promise.race([child.status, killed.then(() => child.status)]);
  clearTimeout(timer);
  return status;
}

/** `count` random decimal digits, e.g. "042917". */
function randomDigits(count: number): string {
  const values = crypto.getRandomValues(new Uint32Array(count));
  return Array.from(values, (value) => String(value % 10)).join("");
}
