/**
 * Routes and IPv6 addresses on a real TUN device, through the shim's rtnetlink calls, checked
 * with `ip -j` from outside: tests/lib/route_probe.ts runs as root in a fresh namespace (named
 * nr-…) and does what each test asks. Also the privilege drop that keeps CAP_NET_ADMIN on the
 * shim's netlink agent alone. Needs root; skipped otherwise.
 */
import assert from "node:assert/strict";
import { run, runOk } from "../../tools/lab/netns_lab.ts";
import {
  readThreadCredentials,
  type ThreadCredentials,
} from "../../src/privilege/thread_credentials.ts";

const PROBE = new URL("../lib/route_probe.ts", import.meta.url).pathname;
const asRoot = { ignore: Deno.uid() !== 0 };
const NOBODY = 65534;
const NO_CAPABILITIES = "0000000000000000";
const NET_ADMIN_ONLY = "0000000000001000";
const EPERM = 1;

type Answer = {
  ok: boolean;
  value?: unknown;
  error?: string;
  message?: string;
  errno?: number;
};

/** A namespace of this test (name starting with "nr") with the probe running in it as root. */
class RouteLab implements AsyncDisposable {
  readonly ns: string;
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<string>;
  readonly #stderr: Promise<string>;
  #pending = "";

  private constructor(ns: string, child: Deno.ChildProcess) {
    this.ns = ns;
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    this.#stderr = new Response(child.stderr).text();
  }

  /** A fresh namespace with lo up and `setup` commands (argument lists of `ip`) run in it. */
  static async create(tag: string, setup: string[][] = []): Promise<RouteLab> {
    const ns = `nr-${tag}-${Deno.pid}`;
    await runOk("ip", ["netns", "add", ns]);
    try {
      await runOk("ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
      for (const args of setup) await runOk("ip", ["netns", "exec", ns, ...args]);
      const child = new Deno.Command("ip", {
        args: ["netns", "exec", ns, Deno.execPath(), "run", "-A", "--quiet", PROBE],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      return new RouteLab(ns, child);
    } catch (error) {
      await run("ip", ["netns", "del", ns]);
      throw error;
    }
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Sends one command to the probe and returns its answer. */
  async send(command: Record<string, unknown>): Promise<Answer> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(command) + "\n"));
    while (!this.#pending.includes("\n")) {
      const { value, done } = await this.#reader.read();
      if (done) assert.fail(`the probe ended: ${await this.#stderr}`);
      this.#pending += value;
    }
    const newline = this.#pending.indexOf("\n");
    const line = this.#pending.slice(0, newline);
    this.#pending = this.#pending.slice(newline + 1);
    return JSON.parse(line);
  }

  /** Sends a command that must succeed; returns its value. */
  async ok(command: Record<string, unknown>): Promise<unknown> {
    const answer = await this.send(command);
    assert.ok(answer.ok, `${JSON.stringify(command)}: ${answer.message}`);
    return answer.value;
  }

  /** Runs a command in the namespace. */
  exec(args: string[]) {
    return run("ip", ["netns", "exec", this.ns, ...args]);
  }

  /** The routes `ip -j [-6] route show` lists for `device` (any protocol). */
  async routes(family: 4 | 6, device: string): Promise<Array<Record<string, string>>> {
    const out = await this.exec(["ip", `-${family}`, "-j", "route", "show", "dev", device]);
    assert.equal(out.code, 0, out.stderr);
    return JSON.parse(out.stdout || "[]");
  }

  /** Closes the probe's stdin and returns its exit code, or undefined after 5 s (still running). */
  async exit(): Promise<number | undefined> {
    await this.#writer.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      this.#child.status,
      new Promise<undefined>((resolve) => timer = setTimeout(resolve, 5000, undefined)),
    ]);
    clearTimeout(timer);
    return status?.code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (await this.exit() === undefined) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* already gone */ }
      await this.#child.status;
    }
    await this.#reader.cancel().catch(() => {});
    await this.#stderr.catch(() => "");
    await run("ip", ["netns", "del", this.ns]);
  }
}

/** The destinations of one route list, e.g. ["10.55.0.0/16"]. */
function destinations(routes: Array<Record<string, string>>): string[] {
  return routes.map((r) => r.dst!);
}

Deno.test({
  name: "TunDevice adds and removes IPv4 and IPv6 routes, idempotently, and names a conflicting " +
    "route's interface",
  ...asRoot,
  async fn() {
    await using lab = await RouteLab.create("routes", [
      // Another interface with routes of its own (no dummy module on every kernel: a veth).
      ["ip", "link", "add", "nrveth0", "type", "veth", "peer", "name", "nrveth1"],
      ["ip", "link", "set", "nrveth0", "up"],
      ["ip", "route", "add", "192.168.77.0/24", "dev", "nrveth0"],
      ["ip", "-6", "route", "add", "fd00:77::/64", "dev", "nrveth0"],
      ["ip", "route", "add", "blackhole", "10.66.0.0/16"],
    ]);
    const opened = await lab.ok({
      op: "open",
      name: "nrtun0",
      address: "10.98.0.1/24",
      address6: "fd00:98::1/64",
    }) as { name: string; index: number };
    assert.equal(opened.name, "nrtun0");
    const link = JSON.parse((await lab.exec(["ip", "-j", "link", "show", "nrtun0"])).stdout);
    assert.equal(opened.index, link[0].ifindex, "TunDevice.index is the kernel's ifindex");

    // IPv4: added once, added again (a restarted tunnel), listed once, with our protocol.
    await lab.ok({ op: "addRoute", route: "10.55.0.0/16" });
    await lab.ok({ op: "addRoute", route: "10.55.0.0/16" });
    const v4 = (await lab.routes(4, "nrtun0")).filter((r) => r.dst === "10.55.0.0/16");
    assert.equal(v4.length, 1, JSON.stringify(v4));
    assert.equal(String(v4[0]!.protocol), "83");
    assert.equal(v4[0]!.scope, "link");
    const ours = await lab.exec(["ip", "-j", "route", "show", "proto", "83"]);
    assert.deepEqual(destinations(JSON.parse(ours.stdout)), ["10.55.0.0/16"]);

    // IPv6, the same.
    await lab.ok({ op: "addRoute", route: "fd00:55::/48" });
    await lab.ok({ op: "addRoute", route: "fd00:55::/48" });
    const v6 = (await lab.routes(6, "nrtun0")).filter((r) => r.dst === "fd00:55::/48");
    assert.equal(v6.length, 1, JSON.stringify(v6));
    assert.equal(String(v6[0]!.protocol), "83");

    // The routes work: pings into them leave through the TUN and the probe answers them.
    await lab.ok({ op: "serve" });
    const pings = [
      await lab.exec(["ping", "-c", "1", "-W", "2", "10.55.1.2"]),
      await lab.exec(["ping", "-6", "-c", "1", "-W", "2", "fd00:55::9"]),
    ];
    const served = await lab.ok({ op: "served" }) as { answered: number; destinations: string[] };
    for (const ping of pings) assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.ok(served.destinations.includes("10.55.1.2"), served.destinations.join(" "));
    assert.ok(served.destinations.includes("fd00:55::9"), served.destinations.join(" "));

    // A prefix that goes elsewhere: one line that names where, and nothing is added.
    const taken = await lab.send({ op: "addRoute", route: "192.168.77.0/24" });
    assert.equal(taken.ok, false);
    assert.equal(
      taken.message,
      "route 192.168.77.0/24 already goes through nrveth0; remove it (ip route del " +
        "192.168.77.0/24) or pick another network",
    );
    const taken6 = await lab.send({ op: "addRoute", route: "fd00:77::/64" });
    assert.equal(
      taken6.message,
      "route fd00:77::/64 already goes through nrveth0; remove it (ip route del fd00:77::/64) " +
        "or pick another network",
    );
    const blackhole = await lab.send({ op: "addRoute", route: "10.66.0.0/16" });
    assert.equal(
      blackhole.message,
      "route 10.66.0.0/16 already exists as a blackhole route; remove it (ip route del " +
        "10.66.0.0/16) or pick another network",
    );
    assert.deepEqual(
      destinations(await lab.routes(4, "nrtun0")).filter((d) => /^(192|10\.66)/.test(d)),
      [],
    );

    // A route someone else put on our interface counts as there, and is not ours to remove.
    await runOk("ip", [
      "netns",
      "exec",
      lab.ns,
      "ip",
      "route",
      "add",
      "10.77.0.0/16",
      "dev",
      "nrtun0",
    ]);
    await lab.ok({ op: "addRoute", route: "10.77.0.0/16" });
    await lab.ok({ op: "removeRoute", route: "10.77.0.0/16" });
    assert.ok(destinations(await lab.routes(4, "nrtun0")).includes("10.77.0.0/16"));

    // Removed, removed again, and a route that was never there: all fine.
    await lab.ok({ op: "removeRoute", route: "10.55.0.0/16" });
    await lab.ok({ op: "removeRoute", route: "10.55.0.0/16" });
    await lab.ok({ op: "removeRoute", route: "10.44.0.0/16" });
    await lab.ok({ op: "removeRoute", route: "fd00:55::/48" });
    await lab.ok({ op: "removeRoute", route: "fd00:55::/48" });
    assert.ok(!destinations(await lab.routes(4, "nrtun0")).includes("10.55.0.0/16"));
    assert.ok(!destinations(await lab.routes(6, "nrtun0")).includes("fd00:55::/48"));
    // The other interface's routes were not touched.
    assert.deepEqual(destinations(await lab.routes(4, "nrveth0")), ["192.168.77.0/24"]);
  },
});

Deno.test({
  name: "TunDevice.open() sets the IPv6 address usable at once; pings to and through it work",
  ...asRoot,
  async fn() {
    await using lab = await RouteLab.create("addr6");
    await lab.ok({
      op: "open",
      name: "nrtun0",
      address: "10.98.0.1/24",
      address6: "fd00:98::1/64",
    });
    const out = await lab.exec(["ip", "-6", "-j", "addr", "show", "dev", "nrtun0"]);
    const info = JSON.parse(out.stdout)[0].addr_info as Array<Record<string, unknown>>;
    const address = info.find((a) => a.local === "fd00:98::1");
    assert.ok(address, `no fd00:98::1 in ${out.stdout}`);
    assert.equal(address.prefixlen, 64);
    assert.equal(address.tentative, undefined, "not tentative");
    assert.equal(address.dadfailed, undefined);
    assert.equal(address.nodad, true);

    // To the address itself, and to a peer on its /64, whose ping crosses the TUN.
    const self = await lab.exec(["ping", "-6", "-c", "1", "-W", "2", "fd00:98::1"]);
    assert.equal(self.code, 0, self.stdout + self.stderr);
    await lab.ok({ op: "serve" });
    const peer = await lab.exec(["ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fd00:98::2"]);
    const served = await lab.ok({ op: "served" }) as { answered: number; destinations: string[] };
    assert.equal(peer.code, 0, peer.stdout + peer.stderr);
    assert.ok(served.answered >= 2, `answered ${served.answered}`);
    assert.ok(served.destinations.includes("fd00:98::2"));
  },
});

Deno.test({
  name: "TunDevice.open() with an IPv6 address says in one line that IPv6 is disabled, and how " +
    "to enable it; an MTU below 1280 is refused the same way",
  ...asRoot,
  async fn() {
    await using lab = await RouteLab.create("noipv6", [
      ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"],
    ]);
    const refused = await lab.send({
      op: "open",
      name: "nrtun0",
      address: "10.98.0.1/24",
      address6: "fd00:98::1/64",
    });
    assert.equal(refused.ok, false);
    assert.equal(refused.error, "NativeError");
    assert.equal(
      refused.message,
      "cannot add IPv6 address fd00:98::1/64 to nrtun0: IPv6 is disabled on nrtun0 " +
        "(net.ipv6.conf.all or .default disable_ipv6 is 1); enable it with sysctl -w " +
        "net.ipv6.conf.all.disable_ipv6=0 (and keep it in /etc/sysctl.d/), or remove the IPv6 " +
        "address from `address`",
    );
    const gone = await lab.exec(["ip", "link", "show", "nrtun0"]);
    assert.notEqual(gone.code, 0, "a device that failed to open is removed");

    // The fix the message gives works.
    await runOk("ip", [
      "netns",
      "exec",
      lab.ns,
      "sysctl",
      "-q",
      "-w",
      "net.ipv6.conf.all.disable_ipv6=0",
    ]);
    await lab.ok({
      op: "open",
      name: "nrtun0",
      address: "10.98.0.1/24",
      address6: "fd00:98::1/64",
    });
    await lab.ok({ op: "close" });

    const small = await lab.send({
      op: "open",
      name: "nrtun1",
      address: "10.98.0.1/24",
      address6: "fd00:98::1/64",
      mtu: 1200,
    });
    assert.equal(
      small.message,
      "cannot add IPv6 address fd00:98::1/64 to nrtun1: IPv6 needs an MTU of at least 1280 and " +
        "network.mtu is 1200; raise network.mtu or remove the IPv6 address from `address`",
    );
  },
});

/** Prints and returns the threads of a live process. */
async function threadsOf(pid: number): Promise<ThreadCredentials[]> {
  const threads = await readThreadCredentials(pid);
  console.log(
    threads.map((t) =>
      `  task ${t.tid} ${t.name}: Uid ${t.uid.join(" ")} CapEff ${t.capEff} CapPrm ${t.capPrm} ` +
      `CapBnd ${t.capBnd} NoNewPrivs ${t.noNewPrivs} Seccomp ${t.seccomp}`
    ).join("\n"),
  );
  return threads;
}

Deno.test({
  name: "after a drop that keeps CAP_NET_ADMIN, the JS thread still changes routes through the " +
    "shim's agent, which alone has CAP_NET_ADMIN; other capabilities are gone everywhere",
  ...asRoot,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "nr-routes-" });
    try {
      await Deno.chmod(dir, 0o755);
      const rootFile = `${dir}/root-owned`;
      await Deno.writeTextFile(rootFile, "x");
      await using lab = await RouteLab.create("keep");
      await lab.ok({
        op: "open",
        name: "nrtun0",
        address: "10.98.0.1/24",
        address6: "fd00:98::1/64",
      });
      const account = await lab.ok({
        op: "drop",
        keepNetAdmin: "the routes of registered clients come and go with their sessions",
      }) as { uid: number; netAdminTask: number };
      assert.equal(account.uid, NOBODY);
      assert.ok(account.netAdminTask > 0);

      // From the JavaScript thread, after the drop: add and remove, both families.
      await lab.ok({ op: "addRoute", route: "10.55.0.0/16" });
      await lab.ok({ op: "addRoute", route: "fd00:55::/48" });
      assert.ok(destinations(await lab.routes(4, "nrtun0")).includes("10.55.0.0/16"));
      assert.ok(destinations(await lab.routes(6, "nrtun0")).includes("fd00:55::/48"));
      await lab.ok({ op: "removeRoute", route: "10.55.0.0/16" });
      await lab.ok({ op: "removeRoute", route: "fd00:55::/48" });
      assert.ok(!destinations(await lab.routes(4, "nrtun0")).includes("10.55.0.0/16"));
      assert.ok(!destinations(await lab.routes(6, "nrtun0")).includes("fd00:55::/48"));

      // What needs other capabilities: CAP_CHOWN and CAP_NET_BIND_SERVICE.
      const chown = await lab.send({ op: "chown", path: rootFile });
      assert.equal(chown.ok, false, "chowned a root file");
      assert.equal(chown.error, "PermissionDenied", chown.message);
      assert.equal((await Deno.stat(rootFile)).uid, 0);
      const bind = await lab.send({ op: "listen", port: 80 });
      assert.equal(bind.ok, false, "bound port 80");
      assert.equal(bind.error, "PermissionDenied", bind.message);

      // Threads the JS thread starts after the drop inherit its capabilities: none.
      assert.equal(await lab.ok({ op: "threads" }), 42);
      const threads = await threadsOf(lab.pid);
      const agent = threads.filter((t) => t.tid === account.netAdminTask);
      assert.equal(agent.length, 1, "the agent is a thread of the process");
      assert.equal(agent[0]!.name, "sss-netlink");
      assert.ok(threads.some((t) => t.name === "worker-1"), "the Worker's thread is listed");
      for (const t of threads) {
        const where = `task ${t.tid} (${t.name})`;
        const expected = t.tid === account.netAdminTask ? NET_ADMIN_ONLY : NO_CAPABILITIES;
        assert.deepEqual(t.uid, [NOBODY, NOBODY, NOBODY, NOBODY], `${where} Uid`);
        assert.equal(t.capEff, expected, `${where} CapEff`);
        assert.equal(t.capPrm, expected, `${where} CapPrm`);
        assert.equal(t.capInh, NO_CAPABILITIES, `${where} CapInh`);
        assert.equal(t.capAmb, NO_CAPABILITIES, `${where} CapAmb`);
        if (t.tid === account.netAdminTask) {
          assert.equal(t.capBnd, NET_ADMIN_ONLY, `${where} CapBnd`);
        }
        assert.equal(t.noNewPrivs, 1, `${where} NoNewPrivs`);
        assert.equal(t.seccomp, 2, `${where} Seccomp`);
      }
      // Still works after the new threads came.
      await lab.ok({ op: "addRoute", route: "10.56.0.0/16" });
      assert.ok(destinations(await lab.routes(4, "nrtun0")).includes("10.56.0.0/16"));
      // Closing the library stops the agent first (it runs the library's code): a clean exit.
      assert.equal(await lab.exit(), 0, "the probe's exit code");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "after a drop without keeping CAP_NET_ADMIN, adding a route fails with EPERM in one line",
  ...asRoot,
  async fn() {
    await using lab = await RouteLab.create("nokeep");
    await lab.ok({ op: "open", name: "nrtun0", address: "10.98.0.1/24" });
    const account = await lab.ok({ op: "drop" }) as Record<string, unknown>;
    assert.equal("netAdminTask" in account, false);
    const refused = await lab.send({ op: "addRoute", route: "10.55.0.0/16" });
    assert.equal(refused.ok, false);
    assert.equal(refused.errno, EPERM);
    assert.equal(
      refused.message,
      "cannot add route 10.55.0.0/16 to nrtun0: operation not permitted; changing routes needs " +
        "CAP_NET_ADMIN: run as root, and after the privilege drop only a tunnel that keeps " +
        "CAP_NET_ADMIN can",
    );
    assert.ok(!destinations(await lab.routes(4, "nrtun0")).includes("10.55.0.0/16"));
    for (const t of await threadsOf(lab.pid)) {
      assert.equal(t.capEff, NO_CAPABILITIES, `task ${t.tid} (${t.name}) CapEff`);
      assert.equal(t.capPrm, NO_CAPABILITIES, `task ${t.tid} (${t.name}) CapPrm`);
    }
  },
});

const FORWARDING_PROBE = new URL("../lib/forwarding_probe.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

Deno.test({
  name: "under the shipped Deno permissions, the shim reads net.ipv4.ip_forward and " +
    "net.ipv6.conf.all.forwarding, which Deno itself refuses; nothing outside /proc/sys/net",
  ...asRoot,
  async fn() {
    for (const [v4, v6] of [["1", "0"], ["0", "1"]]) {
      const ns = `nr-fwd-${Deno.pid}`;
      await runOk("ip", ["netns", "add", ns]);
      try {
        const inNs = ["netns", "exec", ns];
        await runOk("ip", [...inNs, "sysctl", "-q", "-w", `net.ipv4.ip_forward=${v4}`]);
        await runOk("ip", [...inNs, "sysctl", "-q", "-w", `net.ipv6.conf.all.forwarding=${v6}`]);
        const out = await run("ip", [
          ...inNs,
          Deno.execPath(),
          "run",
          "--frozen",
          "-P",
          "--config",
          CONFIG,
          "--quiet",
          FORWARDING_PROBE,
        ]);
        assert.equal(out.code, 0, out.stderr);
        const result = JSON.parse(out.stdout);
        assert.equal(result.direct.ok, false, "Deno read /proc itself");
        assert.equal(result.direct.error, "NotCapable", result.direct.message);
        assert.deepEqual(result.shim, { ipv4: v4 === "1", ipv6: v6 === "1" });
        assert.equal(result.outside.ok, false);
        assert.match(
          result.outside.message,
          /^cannot read sysctl net\.\.\.\/\.\.\/\.\.\/etc\/passwd: invalid argument$/,
        );
      } finally {
        await run("ip", ["netns", "del", ns]);
      }
    }
  },
});
