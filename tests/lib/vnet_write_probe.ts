/**
 * Runs inside a throwaway network namespace (see tests/e2e/vnet_write_fuzz_test.ts): writes
 * fast-check batches of PacketGso frames near honest ones through the real write path
 * (sss_tun_write_frames into a TUN device with offloads, MTU 1400) and prints what happened as
 * JSON. Every frame whose header native/vnet_header.c refuses must be counted as malformed and
 * never reach the device; nothing may crash or be left unconsumed.
 *
 * Args: SEED RUNS
 */
import fc from "fast-check";
import { ipv4Prefix } from "../../src/ip/prefix.ts";
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import { WRITE_STAT_COUNT, WriteStat } from "../../src/frame/receiver.ts";
import { TunDevice } from "../../src/tun/device.ts";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { ANY_SOURCE } from "../../src/ip/packet_filter.ts";
import { concat } from "./bytes.ts";
import { honestPayloads, nearHonestPayloads } from "./vnet_arbitrary.ts";

const MTU = 1400;
const [seed = "1", runs = "300"] = Deno.args;
const check = loadNativeLibrary();
const device = TunDevice.open({
  name: "fuzz0",
  address: ipv4Prefix("10.0.0.1/24"),
  mtu: MTU,
  offload: true,
}, check);
const scratch = new Uint8Array(10);
const totals = { batches: 0, frames: 0, refused: 0, packets: 0, malformed: 0, writeErrors: 0 };
const problems: string[] = [];

fc.assert(
  fc.property(
    fc.array(fc.oneof(nearHonestPayloads, honestPayloads), { minLength: 1, maxLength: 8 }),
    (items) => {
      const payloads = items.map((item) => item.payload);
      const refused =
        payloads.filter((p) =>
          check.symbols.sss_vnet_header_rebuild(p, p.length, MTU, scratch) !== 0
        ).length;
      const chunk = concat(payloads.map((p) => encodeFrame(FrameType.PacketGso, p)));
      const stats = new BigUint64Array(WRITE_STAT_COUNT);
      const consumed = device.writeFrames(chunk, ANY_SOURCE, stats);
      const n = (i: number) => Number(stats[i]);
      const accounted = n(WriteStat.Packets) + n(WriteStat.DroppedMalformed) +
        n(WriteStat.DroppedWriteError) + n(WriteStat.DroppedSpoofed) +
        n(WriteStat.DroppedDestination) + n(WriteStat.DroppedLinkLocal);
      totals.batches++;
      totals.frames += payloads.length;
      totals.refused += refused;
      totals.packets += n(WriteStat.Packets);
      totals.malformed += n(WriteStat.DroppedMalformed);
      totals.writeErrors += n(WriteStat.DroppedWriteError);
      if (consumed !== chunk.length) problems.push(`consumed ${consumed} of ${chunk.length}`);
      if (accounted !== payloads.length) {
        problems.push(
          `${accounted} of ${payloads.length} counted`,
        );
      }
      if (n(WriteStat.DroppedMalformed) < refused) {
        problems.push(`${refused} refused headers, ${n(WriteStat.DroppedMalformed)} malformed`);
      }
      if (n(WriteStat.Packets) > payloads.length - refused) {
        problems.push("a refused frame was written");
      }
      return problems.length === 0;
    },
  ),
  { seed: Number(seed), numRuns: Number(runs) },
);
device.close();
check.close();
console.log(JSON.stringify({ ...totals, problems }));
