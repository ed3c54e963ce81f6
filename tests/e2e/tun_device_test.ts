import assert from "node:assert/strict";
import { FrameType } from "../../src/frame/constants.ts";
import { WriteStatus } from "../../src/frame/receiver.ts";
import { probeInNamespace } from "../lib/namespace_probe.ts";

const asRoot = { ignore: Deno.uid() !== 0 };
const PROBE = new URL("../lib/tun_probe.ts", import.meta.url).pathname;

function probe(mode: "plain" | "offload") {
  return probeInNamespace(`sss-tunprobe-${Deno.pid}-${mode}`, PROBE, [mode]);
}

for (const mode of ["plain", "offload"] as const) {
  Deno.test({
    name:
      `TunDevice (${mode}) writes framed packets to the kernel and reads its replies back as frames`,
    ...asRoot,
    fn: async () => {
      const result = await probe(mode);
      assert.equal(result.offload, mode === "offload");
      assert.equal(result.name, "probe0");
      const expectType = mode === "offload" ? FrameType.PacketGso : FrameType.Packet;

      // Whole chunk: two packets written, the spoofed one dropped, stop at the Ping frame.
      assert.equal(result.first.status, WriteStatus.Control);
      assert.equal(result.first.consumed, result.first.controlOffset);
      assert.equal(result.first.packets, 2);
      assert.equal(result.first.spoofed, 1);
      const ids = result.first.replies.map((r: { id: number }) => r.id).sort();
      assert.deepEqual(
        ids,
        [1, 3],
        "the kernel answered the two genuine requests, not the spoofed one",
      );
      for (const reply of result.first.replies) {
        assert.equal(reply.type, expectType);
        assert.equal(reply.destination, 0x0a630002, "index carries the IPv4 destination");
      }
      assert.equal(result.first.replies.find((r: { id: number }) => r.id === 3).length, 1028);

      // A frame cut in half is left for later, then written whole.
      assert.equal(result.split.half, 0);
      assert.equal(result.split.halfStatus, WriteStatus.NeedMore);
      assert.equal(result.split.rest, 4 + 78);
      assert.deepEqual(result.split.replies.map((r: { id: number }) => r.id), [4]);

      assert.deepEqual(result.oversized, { consumed: 0, status: WriteStatus.BadFrame });
      assert.equal(result.malformed, 1);
      assert.equal(
        result.gsoStatus,
        mode === "offload" ? WriteStatus.NeedMore : WriteStatus.BadGso,
      );
    },
  });
}
