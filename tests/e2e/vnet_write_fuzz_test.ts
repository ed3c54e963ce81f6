/**
 * The C write path fuzzed with the kernel behind it: fast-check batches of PacketGso frames near
 * honest ones go through sss_tun_write_frames into a real TUN device with offloads (in a namespace
 * of its own). Every frame is accounted for, every refused header counted as malformed and never
 * written, and the kernel logs nothing.
 */
import assert from "node:assert/strict";
import { probeInNamespace } from "../lib/namespace_probe.ts";

const PROBE = new URL("../lib/vnet_write_probe.ts", import.meta.url).pathname;
const KERNEL_COMPLAINT = /WARNING|BUG|gso|skb|tun|virtio|segment/i;

async function dmesg(): Promise<string[]> {
  const out = await new Deno.Command("dmesg", { stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((line) => line !== "");
}

Deno.test({
  name:
    "fuzz: PacketGso frames through the real TUN write path are written or counted, never crash the kernel",
  ignore: Deno.uid() !== 0,
  async fn() {
    const before = (await dmesg()).length;
    const seed = Date.now() % 100000;
    const report = await probeInNamespace(`ssx-vfuzz-${Deno.pid}`, PROBE, [String(seed), "400"], {
      timeoutSeconds: 120,
    });
    console.log(`seed ${seed}: ${JSON.stringify(report)}`);
    assert.deepEqual(report.problems, []);
    assert.ok(
      report.frames > 400 && report.refused > 0 && report.packets > 0,
      JSON.stringify(report),
    );
    const kernel = (await dmesg()).slice(before).filter((line) => KERNEL_COMPLAINT.test(line));
    assert.deepEqual(kernel, []);
  },
});
