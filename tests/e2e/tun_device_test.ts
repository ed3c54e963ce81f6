import assert from "node:assert/strict";
import {
  FRAME_HEADER_SIZE,
  FRAME_MAX_PAYLOAD,
  FrameType,
  VNET_HDR_SIZE,
} from "../../src/frame/constants.ts";
import { WRITE_STAT_COUNT, WriteStat, WriteStatus } from "../../src/frame/receiver.ts";
import {
  FILTER_RULE_SIZE,
  MAX_FILTER_RULES,
  RuleKind,
  Verdict,
} from "../../src/ip/packet_filter.ts";
import { probeInNamespace } from "../lib/namespace_probe.ts";

const asRoot = { ignore: Deno.uid() !== 0 };
const PROBE = new URL("../lib/tun_probe.ts", import.meta.url).pathname;

Deno.test("native/*.h and src/frame agree on every number of the wire format", async () => {
  const native = new URL("../../native/", import.meta.url);
  let header = "";
  for await (const entry of Deno.readDir(native)) {
    if (entry.name.endsWith(".h")) header += await Deno.readTextFile(new URL(entry.name, native));
  }
  const define = (name: string) => {
    const match = new RegExp(`#define ${name} (0x[0-9a-f]+|\\d+)u?`).exec(header);
    assert.ok(match, `${name} is defined in a native/*.h`);
    return Number(match[1]);
  };
  assert.equal(define("SSS_FRAME_HEADER_SIZE"), FRAME_HEADER_SIZE);
  assert.equal(define("SSS_FRAME_MAX_PAYLOAD"), FRAME_MAX_PAYLOAD);
  assert.equal(define("SSS_FRAME_PACKET"), FrameType.Packet);
  assert.equal(define("SSS_FRAME_PACKET_GSO"), FrameType.PacketGso);
  assert.equal(define("SSS_WRITE_NEED_MORE"), WriteStatus.NeedMore);
  assert.equal(define("SSS_WRITE_CONTROL"), WriteStatus.Control);
  assert.equal(define("SSS_WRITE_BAD_FRAME"), WriteStatus.BadFrame);
  assert.equal(define("SSS_WRITE_BAD_GSO"), WriteStatus.BadGso);
  assert.equal(define("SSS_STAT_PACKETS"), WriteStat.Packets);
  assert.equal(define("SSS_STAT_DROPPED_SPOOFED"), WriteStat.DroppedSpoofed);
  assert.equal(define("SSS_STAT_DROPPED_MALFORMED"), WriteStat.DroppedMalformed);
  assert.equal(define("SSS_STAT_DROPPED_WRITE_ERROR"), WriteStat.DroppedWriteError);
  assert.equal(define("SSS_STAT_DROPPED_DESTINATION"), WriteStat.DroppedDestination);
  assert.equal(define("SSS_STAT_DROPPED_LINK_LOCAL"), WriteStat.DroppedLinkLocal);
  assert.equal(define("SSS_STAT_MSS_CLAMPED"), WriteStat.MssClamped);
  assert.equal(define("SSS_STAT_SPOOFED_FAMILY"), WriteStat.SpoofedFamily);
  assert.equal(define("SSS_STAT_SPOOFED_ADDRESS"), WriteStat.SpoofedAddress);
  assert.equal(define("SSS_STAT_COUNT"), WRITE_STAT_COUNT);
  assert.equal(define("SSS_RULE_SIZE"), FILTER_RULE_SIZE);
  assert.equal(define("SSS_RULE_MAX"), MAX_FILTER_RULES);
  assert.equal(define("SSS_RULE_SOURCE"), RuleKind.Source);
  assert.equal(define("SSS_RULE_ALLOW_DESTINATION"), RuleKind.AllowDestination);
  assert.equal(define("SSS_RULE_DENY_DESTINATION"), RuleKind.DenyDestination);
  assert.equal(define("SSS_VERDICT_PASS"), Verdict.Pass);
  assert.equal(define("SSS_VERDICT_MALFORMED"), Verdict.Malformed);
  assert.equal(define("SSS_VERDICT_LINK_LOCAL"), Verdict.LinkLocal);
  assert.equal(define("SSS_VERDICT_SPOOFED"), Verdict.Spoofed);
  assert.equal(define("SSS_VERDICT_DESTINATION"), Verdict.Destination);
  assert.equal(VNET_HDR_SIZE, 10, "struct virtio_net_hdr without num_buffers");
});

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
