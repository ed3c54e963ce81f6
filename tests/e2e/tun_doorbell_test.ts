/**
 * The TUN doorbell (native/tun_doorbell.c, src/tun/doorbell.ts) on a real device: packets reach
 * JS through it, a read honours its timeout, wake() and close() end a pending read at once, and
 * the doorbell's thread and socket folder are gone after close. The "pool" wake-up is driven the
 * same way, so both keep the FrameSource contract.
 */
import assert from "node:assert/strict";
import { probeInNamespace } from "../lib/namespace_probe.ts";

const PROBE = new URL("../lib/doorbell_probe.ts", import.meta.url).pathname;

Deno.test({
  name: "TunDevice reads through the doorbell and through the pool alike: packets, timeout, " +
    "wake, close; the doorbell's thread and folder do not outlive the device",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const result = await probeInNamespace(`sss-bell-${Deno.pid}`, PROBE, [], {
      timeoutSeconds: 60,
    });
    for (const wakeup of ["doorbell", "pool"]) {
      const r = result[wakeup];
      const where = `${wakeup}: ${JSON.stringify(r)}`;
      assert.equal(r.threadsBefore, 0, `no thread before the first read (${where})`);
      assert.ok(r.replyPackets >= 1, `the kernel's echo reply was read (${where})`);
      assert.equal(r.bellThreads, wakeup === "doorbell" ? 1 : 0, `doorbell threads (${where})`);
      assert.deepEqual(r.timedOut, { bytes: 0, count: 0 }, where);
      assert.ok(r.timeoutMs >= 140, `the read waited for its timeout (${where})`);
      assert.deepEqual(r.woken, { bytes: 0, count: 0 }, where);
      assert.ok(r.wakeMs < 5000, `wake() ended the read, not its 10 s timeout (${where})`);
      assert.deepEqual(r.closed, { bytes: 0, count: 0 }, where);
      assert.ok(r.closeMs < 5000, `close() ended the read, not its 10 s timeout (${where})`);
      assert.equal(r.threadsAfter, 0, `the doorbell's thread ended with the device (${where})`);
    }
    assert.equal(result.foldersLeft, 0, "no socket folder is left in /tmp");
  },
});
