/**
 * tests/run_tests.sh, the seed's test framework, in both its modes: on the local namespace lab,
 * and over ssh against two namespaces that each run an sshd (Debian's openssh-server) on their
 * own address, driven from a third namespace, with the offline bundle as the artifact. Short
 * iperf3 runs keep it quick. Needs root; skipped otherwise.
 */

import assert from "node:assert/strict";
import { LAB_TAG_PREFIX, TEMP_PREFIX } from "../lib/e2e_lab.ts";
import { run, runOk } from "../../tools/lab/netns_lab.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const RUN_TESTS = `${ROOT}tests/run_tests.sh`;
const SCENARIOS = ["01_cert_generation", "02_basic_connectivity", "03_performance", "04_security"];
const ignore = Deno.uid() !== 0;

/** The one results folder a run made under `base`, and its summary. */
async function results(base: string): Promise<{ dir: string; summary: string }> {
  const runs = [];
  for await (const entry of Deno.readDir(base)) runs.push(entry.name);
  assert.equal(runs.length, 1, `one results folder: ${runs.join(", ")}`);
  assert.match(runs[0]!, /^\d{8}_\d{6}$/, "named YYYYMMDD_HHMMSS");
  const dir = `${base}/${runs[0]}`;
  return { dir, summary: await Deno.readTextFile(`${dir}/summary.md`) };
}

async function assertPassed(base: string, out: { code: number; stdout: string; stderr: string }) {
  const { dir, summary } = await results(base);
  assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}\n${summary}`);
  assert.match(summary, /^- result: [1-9]\d* passed, 0 failed$/m);
  for (const scenario of SCENARIOS) {
    assert.match(summary, new RegExp(`^\\| ${scenario} \\| .* \\| PASS \\|`, "m"), scenario);
    assert.ok((await Deno.stat(`${dir}/${scenario}.log`)).size > 0, `${scenario}.log`);
  }
  for (
    const figure of [
      "server peak RSS",
      "throughput client -> server",
      "throughput server -> client",
      "ping round trip",
    ]
  ) {
    assert.match(summary, new RegExp(`\\| ${figure}[^|]* \\| [0-9.]+ `), figure);
  }
  return summary;
}

Deno.test({
  name:
    "tests/run_tests.sh runs the four scenarios on the local namespace lab and writes summary.md",
  ignore,
  async fn() {
    const base = await Deno.makeTempDir({ prefix: `${TEMP_PREFIX}run-tests-` });
    try {
      const out = await run(RUN_TESTS, ["-t", "1", "-r", base]);
      const summary = await assertPassed(base, out);
      assert.match(summary, /^- hosts: local namespace lab/m);
      // Its own namespaces (named after its pid), not those of another run on this machine.
      const made = /local lab: namespaces (sss-rt\d+)-srv /.exec(out.stdout)?.[1];
      assert.ok(made, out.stdout);
      const leftover = await runOk("ip", ["netns", "list"]);
      assert.doesNotMatch(leftover, new RegExp(`^${made}-`, "m"), "its namespaces are gone");
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "tests/run_tests.sh -s -c reaches two hosts over ssh (sshd in namespaces), deploys the bundle and passes",
  ignore,
  async fn() {
    const built = await run(Deno.execPath(), [
      "run",
      "-A",
      `${ROOT}build.ts`,
      "--target",
      "x86_64",
    ]);
    assert.equal(built.code, 0, built.stdout + built.stderr);
    const dir = await Deno.makeTempDir({ prefix: `${TEMP_PREFIX}ssh-` });
    const id = `${LAB_TAG_PREFIX}ssh${Deno.pid % 100000}`;
    const ns = { ctl: `sss-${id}-ctl`, server: `sss-${id}-srv`, client: `sss-${id}-cli` };
    const hosts = { server: "198.18.0.1", client: "198.18.0.2" };
    const made: string[] = [];
    const daemons: Deno.ChildProcess[] = [];
    try {
      // One segment: a bridge in the controller's namespace, a veth to each host.
      for (const name of Object.values(ns)) {
        await runOk("ip", ["netns", "add", name]);
        made.push(name);
        await runOk("ip", ["-n", name, "link", "set", "lo", "up"]);
      }
      await runOk("ip", ["-n", ns.ctl, "link", "add", "br0", "type", "bridge"]);
      await runOk("ip", ["-n", ns.ctl, "addr", "add", "198.18.0.254/24", "dev", "br0"]);
      await runOk("ip", ["-n", ns.ctl, "link", "set", "br0", "up"]);
      for (const role of ["server", "client"] as const) {
        const [outer, inner] = [`vb${role[0]}${Deno.pid}`, `vh${role[0]}${Deno.pid}`]
          .map((name) => name.slice(0, 15));
        await runOk("ip", [
          ...["link", "add", outer!, "netns", ns.ctl, "type", "veth"],
          ...["peer", "name", inner!, "netns", ns[role]],
        ]);
        await runOk("ip", ["-n", ns.ctl, "link", "set", outer!, "master", "br0", "up"]);
        await runOk("ip", ["-n", ns[role], "addr", "add", `${hosts[role]}/24`, "dev", inner!]);
        await runOk("ip", ["-n", ns[role], "link", "set", inner!, "up"]);
      }

      // An sshd per host, root by key only, on its own address.
      await runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/host_key`]);
      await runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/id`]);
      await Deno.copyFile(`${dir}/id.pub`, `${dir}/authorized_keys`);
      // Debian's sshd refuses to start without its privilege separation folder.
      await Deno.mkdir("/run/sshd", { recursive: true, mode: 0o755 });
      for (const role of ["server", "client"] as const) {
        const sshd = new Deno.Command("ip", {
          args: [
            ...["netns", "exec", ns[role], "/usr/sbin/sshd", "-D", "-e", "-f", "/dev/null"],
            ...["-h", `${dir}/host_key`, "-o", `ListenAddress=${hosts[role]}`],
            ...["-o", `AuthorizedKeysFile=${dir}/authorized_keys`, "-o", "StrictModes=no"],
            ...["-o", "PidFile=none", "-o", "UsePAM=no", "-o", "PermitRootLogin=prohibit-password"],
          ],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        daemons.push(sshd);
      }
      const ssh = [
        ...["-o", `UserKnownHostsFile=${dir}/known_hosts`, "-o", "GlobalKnownHostsFile=/dev/null"],
        ...["-o", "LogLevel=ERROR"],
      ].join(" ");
      for (const role of ["server", "client"] as const) {
        let reached = false;
        for (let attempt = 0; attempt < 50 && !reached; attempt++) {
          const out = await run("ip", [
            ...["netns", "exec", ns.ctl, "ssh", ...ssh.split(" "), "-i", `${dir}/id`],
            ...["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new"],
            ...[`root@${hosts[role]}`, "true"],
          ]);
          reached = out.code === 0;
          if (!reached) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.ok(reached, `sshd of the ${role} answers`);
      }

      const base = `${dir}/results`;
      const child = new Deno.Command("ip", {
        args: [
          ...["netns", "exec", ns.ctl, RUN_TESTS, "-s", hosts.server, "-c", hosts.client],
          // No -a: the script picks dist/sssonector-$(uname -m).tar.gz for each host.
          ...["-i", `${dir}/id`, "-t", "1", "-r", base],
        ],
        env: { SSH_OPTIONS: ssh },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const out = await child.output();
      const decoded = {
        code: out.code,
        stdout: new TextDecoder().decode(out.stdout),
        stderr: new TextDecoder().decode(out.stderr),
      };
      console.log(decoded.stdout.split("\n").filter((l) => l.startsWith("==")).join("\n"));
      const summary = await assertPassed(base, decoded);
      assert.match(summary, /^- hosts: ssh, server 198\.18\.0\.1, client 198\.18\.0\.2$/m);
      assert.match(
        summary,
        /^- program: sssonector \S+ \(commit \S+, deno \S+, x86_64-\S+\) \(\.\/sssonector\/sssonector\)$/m,
      );
      for (const role of ["server", "client"]) {
        const left = [...Deno.readDirSync("/tmp")].filter((e) => e.name.includes(`-${role}`))
          .filter((e) => e.name.startsWith("sssonector-test-"));
        assert.deepEqual(left, [], `the ${role}'s folder was removed`);
      }
    } finally {
      for (const daemon of daemons) {
        try {
          daemon.kill("SIGTERM");
        } catch { /* gone */ }
        await daemon.status;
      }
      for (const name of made) {
        const { stdout } = await run("ip", ["netns", "pids", name]);
        for (const pid of stdout.split(/\s+/).filter(Boolean)) await run("kill", ["-9", pid]);
        await run("ip", ["netns", "del", name]);
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("tests/run_tests.sh refuses a bad command line with one line and a hint, exit 2, and writes nothing", async () => {
  const base = await Deno.makeTempDir({ prefix: `${TEMP_PREFIX}run-tests-usage-` });
  try {
    const cases: [string[], string][] = [
      [["-s", "192.0.2.1"], "-s SERVER_IP and -c CLIENT_IP go together"],
      [["-s", "192.0.2.1", "-c", "192.0.2.2", "-p", "70000"], '-p "70000" is not a port'],
      [["-t", "0"], '-t "0" is not allowed'],
      [["-x"], "unknown option -x"],
      [["-a", `${base}/missing.tar.gz`], `-a ${base}/missing.tar.gz: no such file`],
    ];
    for (const [args, message] of cases) {
      const out = await run(RUN_TESTS, [...args, "-r", base]);
      assert.equal(out.code, 2, args.join(" "));
      const lines = out.stderr.trim().split("\n");
      assert.equal(lines.length, 2, out.stderr);
      assert.ok(lines[0]!.startsWith(`run_tests.sh: ${message}`), lines[0]);
      assert.equal(lines[1], "Run 'tests/run_tests.sh -h' for usage.");
    }
    assert.deepEqual([...Deno.readDirSync(base)], [], "no results folder for a usage error");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
