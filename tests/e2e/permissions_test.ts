import assert from "node:assert/strict";
import { prepareLab } from "../../src/lab/lab_configs.ts";
import { NetnsLab, run } from "../../src/lab/netns_lab.ts";

const LAUNCHER = new URL("../../sssonector", import.meta.url).pathname;

Deno.test({
  name: "without CAP_NET_ADMIN the server says in one line what to grant, and exits 1",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await NetnsLab.create("caps");
    const dir = await Deno.makeTempDir();
    try {
      const configs = await prepareLab(lab, dir);
      // Root, but with CAP_NET_ADMIN gone from every capability set, as in a locked-down unit.
      const out = await lab.try(lab.server, "setpriv", [
        "--bounding-set=-net_admin",
        "--inh-caps=-net_admin",
        LAUNCHER,
        "-config",
        configs.serverConfig,
      ]);
      assert.equal(out.code, 1, out.stderr);
      assert.equal(
        out.stderr.trim(),
        "sssonector: cannot create interface tun0: permission denied; run as root or grant CAP_NET_ADMIN",
      );
      assert.doesNotMatch(out.stderr + out.stdout, /^\s+at /m, "no stack trace");
      const links = await run("ip", ["netns", "exec", lab.server.ns, "ip", "link", "show", "tun0"]);
      assert.notEqual(links.code, 0, "no half-made tun0 is left behind");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
