import assert from "node:assert/strict";
import { run } from "../../tools/lab/netns_lab.ts";
import { E2eLab } from "../lib/e2e_lab.ts";

const LAUNCHER = new URL("../../sssonector", import.meta.url).pathname;

Deno.test({
  name: "without CAP_NET_ADMIN the server says in one line what to grant, and exits 1",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("caps");
    const configs = await lab.configs();
    // Root, but with CAP_NET_ADMIN gone from every capability set, as in a locked-down unit.
    const out = await lab.net.try(lab.server, "setpriv", [
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
  },
});
