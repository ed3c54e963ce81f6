/**
 * The offline bundle end to end: build.ts makes both architectures' tarballs; two copies of the
 * x86_64 one, unpacked into a fresh folder, run with an empty HOME and DENO_DIR and a PATH without
 * npm, deno or a compiler, in lab namespaces that have no route anywhere but to each other. The
 * bundle generates its own certificates, and a server and a client from it carry pings both ways.
 * Needs root; skipped otherwise.
 */

import assert from "node:assert/strict";
import { bundlePath, elfMachine, TARGETS } from "../../build.ts";
import { LAB_TAG_PREFIX, TEMP_PREFIX } from "../lib/e2e_lab.ts";
import { type LabHost, NetnsLab, run, runOk } from "../../tools/lab/netns_lab.ts";
import { TunnelProcess } from "../../tools/lab/tunnel_process.ts";
import { waitForPing } from "../../tools/lab/wait_for_ping.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const ignore = Deno.uid() !== 0;

/** The only programs on the bundle's PATH: what the entry script may use, and nothing else. */
const PATH_TOOLS = ["uname", "readlink"];

async function which(name: string): Promise<string> {
  return (await runOk("sh", ["-c", `command -v ${name}`])).trim();
}

async function isEmptyDir(path: string): Promise<boolean> {
  for await (const _ of Deno.readDir(path)) return false;
  return true;
}

Deno.test({
  name:
    "the offline bundle, unpacked alone, makes its certificates and carries a tunnel with nothing but glibc (and aarch64 holds aarch64 code)",
  ignore,
  async fn() {
    const built = await run(Deno.execPath(), ["run", "-A", `${ROOT}build.ts`]);
    assert.equal(built.code, 0, built.stdout + built.stderr);

    const dir = await Deno.makeTempDir({ prefix: `${TEMP_PREFIX}bundle-` });
    await using lab = await NetnsLab.create(`${LAB_TAG_PREFIX}bnd`);
    const processes: TunnelProcess[] = [];
    try {
      // The aarch64 tarball holds an aarch64 Deno and shim.
      const arm = `${dir}/aarch64`;
      await Deno.mkdir(arm);
      await runOk("tar", ["-xzf", `${ROOT}${bundlePath("aarch64")}`, "-C", arm]);
      const aarch64 = TARGETS.find((t) => t.arch === "aarch64")!;
      for (const file of ["lib/deno", "lib/libsssonector_tun.so"]) {
        assert.equal(await elfMachine(`${arm}/sssonector/${file}`), aarch64.elfMachine, file);
      }
      await Deno.remove(arm, { recursive: true });

      // The environment of a bare host: empty HOME and DENO_DIR, a PATH of a few symlinks.
      const [home, denoDir, bin] = ["home", "deno-dir", "bin"].map((name) => `${dir}/${name}`);
      for (const folder of [home!, denoDir!, bin!]) await Deno.mkdir(folder);
      for (const tool of PATH_TOOLS) await Deno.symlink(await which(tool), `${bin}/${tool}`);
      const env = { PATH: bin!, HOME: home!, DENO_DIR: denoDir! };
      for (const absent of ["npm", "node", "deno", "cc", "gcc"]) {
        const found = await new Deno.Command("/bin/sh", {
          args: ["-c", `command -v ${absent}`],
          clearEnv: true,
          env,
        }).output();
        assert.equal(found.success, false, `${absent} is not on the bundle's PATH`);
      }
      for (const host of [lab.server, lab.client]) {
        const routes = await lab.exec(host, "ip", ["route", "show"]);
        assert.doesNotMatch(routes, /default/, `${host.ns} has no route out`);
      }

      const ip = await which("ip");
      /** Runs `ip netns exec NS COMMAND` in the bare environment. */
      const bare = (host: LabHost, args: string[]) =>
        new Deno.Command(ip, {
          args: ["netns", "exec", host.ns, ...args],
          clearEnv: true,
          env,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        });
      const unpack = async (name: string) => {
        await Deno.mkdir(`${dir}/${name}`);
        await runOk("tar", ["-xzf", `${ROOT}${bundlePath("x86_64")}`, "-C", `${dir}/${name}`]);
        return `${dir}/${name}/sssonector/sssonector`;
      };
      const serverBundle = await unpack("server");
      const clientBundle = await unpack("client");

      const version = await bare(lab.server, [serverBundle, "--version"]).output();
      const commit = (await runOk("git", ["-C", ROOT, "rev-parse", "--short=12", "HEAD"])).trim();
      assert.match(
        new TextDecoder().decode(version.stdout),
        new RegExp(`^sssonector \\S+ \\(commit ${commit}(-dirty)?, deno \\S+, x86_64-unknown`),
      );

      const generated = await bare(lab.server, [
        serverBundle,
        "--generate-certs",
        "--cert-dir",
        `${dir}/server/certs`,
        "--server-ip",
        lab.server.ip,
        "--days",
        "1",
      ]).output();
      assert.equal(generated.code, 0, new TextDecoder().decode(generated.stderr));
      await Deno.mkdir(`${dir}/client/certs`);
      for (const file of ["ca.crt", "client.crt", "client.key"]) {
        await Deno.copyFile(`${dir}/server/certs/${file}`, `${dir}/client/certs/${file}`);
      }
      await Deno.chmod(`${dir}/client/certs/client.key`, 0o600);

      // Configurations beside the bundle, with paths relative to them, as deployed.
      const security = (name: string) =>
        `security:\n  tls:\n    cert_file: certs/${name}.crt\n    key_file: certs/${name}.key\n` +
        "    ca_file: certs/ca.crt\n";
      await Deno.writeTextFile(
        `${dir}/server/server.yaml`,
        `mode: server\nlisten: ${lab.server.ip}:443\naddress: 10.0.0.1/24\n` +
          `logging:\n  file: server.log\n${security("server")}`,
      );
      await Deno.writeTextFile(
        `${dir}/client/client.yaml`,
        `mode: client\nserver: ${lab.server.ip}:443\naddress: 10.0.0.2/24\n` +
          `logging:\n  file: client.log\n${security("client")}`,
      );
      const start = (host: LabHost, bundle: string, config: string, log: string) => {
        const child = bare(host, [bundle, "-config", config]).spawn();
        child.stdout.cancel();
        const process = new TunnelProcess(lab, child, log);
        processes.push(process);
        return process;
      };
      const server = start(
        lab.server,
        serverBundle,
        `${dir}/server/server.yaml`,
        `${dir}/server/server.log`,
      );
      await server.waitForLog(/listening on/);
      const client = start(
        lab.client,
        clientBundle,
        `${dir}/client/client.yaml`,
        `${dir}/client/client.log`,
      );
      await client.waitForLog(/connected to .*/);
      // The tunnel runs on the bundle's own Deno, not the one running this test.
      assert.equal(
        await Deno.readLink(`/proc/${server.child.pid}/exe`),
        `${dir}/server/sssonector/lib/deno`,
      );

      await waitForPing(lab, lab.client, "10.0.0.1", { timeoutMs: 15_000 });
      await waitForPing(lab, lab.server, "10.0.0.2", { timeoutMs: 15_000 });
      assert.ok(await isEmptyDir(home!), "nothing was written to HOME");
      assert.ok(await isEmptyDir(denoDir!), "the caller's DENO_DIR was not used");
    } finally {
      await Promise.all(processes.map((process) => process.stop(3000)));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
