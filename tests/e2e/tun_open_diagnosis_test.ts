/**
 * A TUN device that cannot be opened gets the advice that fits its cause, from the real kernel:
 * a missing /dev/net/tun node (ENOENT, a container not given the device) and a node with no
 * driver behind it (ENODEV, the tun module not loaded) used to get the same "no such device;
 * modprobe tun" line. Each case runs the real server in a mount and network namespace of its own
 * (`unshare -m -n`) with a tmpfs over /dev/net: empty, or holding a character device of an unused
 * misc minor. Needs root; skipped otherwise.
 */
import assert from "node:assert/strict";
import { LAUNCHER, TempCertificates } from "../lib/e2e_lab.ts";
import { run } from "../../tools/lab/netns_lab.ts";

const ignore = Deno.uid() !== 0;

/** Starts the server with /dev/net replaced by a tmpfs prepared by `prepare` (shell). */
async function startWithDevNet(prepare: string) {
  await using temp = await TempCertificates.create();
  const config = `${temp.dir}/server.yaml`;
  await Deno.writeTextFile(
    config,
    `mode: server
listen: 127.0.0.1:4433
address: 10.0.0.1/24
security:
  tls:
    cert_file: ${temp.certDir}/server.crt
    key_file: ${temp.certDir}/server.key
    ca_file: ${temp.certDir}/ca.crt
`,
  );
  const script = `mount -t tmpfs -o mode=0755 ssc-devnet /dev/net && ${prepare} && ` +
    `exec "$0" -config "$1"`;
  return await run("unshare", [
    "-m",
    "-n",
    "--propagation",
    "private",
    "sh",
    "-c",
    script,
    LAUNCHER,
    config,
  ]);
}

Deno.test({
  name: "a missing /dev/net/tun is told to pass the device into the container",
  ignore,
  async fn() {
    const result = await startWithDevNet("true");
    assert.equal(result.code, 1, result.stderr);
    assert.equal(
      result.stderr.trim().split("\n").at(-1),
      "sssonector: cannot open /dev/net/tun: the device node does not exist; in a container, " +
        "pass it in (docker run --device /dev/net/tun, systemd-nspawn --bind=/dev/net/tun); on a " +
        "host, modprobe tun creates it",
    );
  },
});

Deno.test({
  name: "a /dev/net/tun without a driver behind it is told to load the tun module",
  ignore,
  async fn() {
    // Misc minor 250 has no driver on this kernel: opening it fails with ENODEV, as the tun node
    // does when the module is not loaded.
    const result = await startWithDevNet("mknod /dev/net/tun c 10 250");
    assert.equal(result.code, 1, result.stderr);
    assert.equal(
      result.stderr.trim().split("\n").at(-1),
      "sssonector: cannot open /dev/net/tun: the kernel's TUN driver is not loaded; load it " +
        "with modprobe tun (for a container, on its host)",
    );
  },
});
