import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { LAB_INTERFACE, writeLabConfigs } from "../../tools/lab/lab_configs.ts";
import type { NetnsLab } from "../../tools/lab/netns_lab.ts";

/** writeLabConfigs reads only the server host's address from the lab. */
const LAB = { server: { ip: "198.18.0.1" } } as unknown as NetnsLab;

Deno.test("writeLabConfigs() sets network.offload on both ends when asked, and leaves it to the default otherwise", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const offload of [true, false, undefined]) {
      const configs = await writeLabConfigs(LAB, {
        certDir: "/certs",
        dir,
        mtu: 1400,
        ...(offload === undefined ? {} : { offload }),
      });
      for (const path of [configs.serverConfig, configs.clientConfig]) {
        const text = await Deno.readTextFile(path);
        const config = parseConfig(text, path);
        assert.equal(config.interface, LAB_INTERFACE);
        assert.equal(config.network.mtu, 1400);
        assert.equal(config.network.offload, offload ?? true, "absent means the default, on");
        assert.equal(/offload:/.test(text), offload !== undefined, path);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
