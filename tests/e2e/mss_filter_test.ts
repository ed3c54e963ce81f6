/**
 * MSS clamping and the packet filter on a real TUN device, in a namespace of its own: what the
 * kernel receives (tcpdump on the device, and whether the kernel answers) and what readFrames
 * returns of the kernel's own SYNs. The work is done by tests/lib/mss_probe.ts.
 */
import assert from "node:assert/strict";
import { probeInNamespace } from "../lib/namespace_probe.ts";

const asRoot = { ignore: Deno.uid() !== 0 };
const PROBE = new URL("../lib/mss_probe.ts", import.meta.url).pathname;

function probe(mode: "plain" | "offload") {
  return probeInNamespace(`nf-mss-${Deno.pid}-${mode}`, PROBE, [mode], { timeoutSeconds: 60 });
}

/** The tcpdump -vv line of a segment `from` > `to`. */
function dumpLine(dump: string, from: string, to: string): string {
  const line = dump.split("\n").find((l) => l.includes(`${from} > ${to}:`));
  assert.ok(line, `tcpdump saw ${from} > ${to}:\n${dump}`);
  return line;
}

for (const mode of ["plain", "offload"] as const) {
  Deno.test({
    name: `TunDevice (${mode}) clamps the MSS of SYNs both ways and filters what a peer writes`,
    ...asRoot,
    fn: async () => {
      const result = await probe(mode);
      assert.equal(result.offload, mode === "offload");

      // Written by a peer with MSS 1460: the kernel got 1360 / 1340 with a correct checksum,
      // and answered (it drops segments whose checksum does not verify).
      assert.deepEqual(result.write, {
        packets: 2,
        clamped: 2,
        bufferUnchanged: true,
        synAck4: true,
        synAck6: true,
      });
      const syn4 = dumpLine(result.tcpdump, "10.98.0.2.40000", "10.98.0.1.7000");
      assert.match(syn4, /Flags \[S\], cksum 0x[0-9a-f]+ \(correct\),.*options \[mss 1360\]/);
      const syn6 = dumpLine(result.tcpdump, "fd98::2.40006", "fd98::1.7000");
      assert.match(syn6, /Flags \[S\], cksum 0x[0-9a-f]+ \(correct\),.*options \[mss 1340\]/);

      // The kernel's own SYNs (advmss 1460 on the route), as readFrames returns them.
      for (const [key, mss] of [["read4", 1360], ["read6", 1340]] as const) {
        const read = result[key];
        assert.ok(read, `${key}: the kernel's SYN was read from the device`);
        assert.equal(read.mss, mss, key);
        assert.equal(read.checksumOk, true, `${key}: checksum (partial: ${read.partial})`);
        // With offloads the kernel hands its SYNs with a partial checksum (NEEDS_CSUM): that is
        // the case where the field must be left alone; completing it must then verify.
        assert.equal(read.partial, mode === "offload", `${key}: partial checksum`);
        if (read.partial) assert.deepEqual(read.converted, { mss, checksumOk: true }, key);
      }

      if (mode === "offload") {
        // A PacketGso frame with NEEDS_CSUM: clamped, checksum field untouched, accepted.
        const { field, ...writePartial } = result.writePartial;
        assert.deepEqual(writePartial, { packets: 1, clamped: 1, synAck: true });
        const partial = dumpLine(result.tcpdump, "10.98.0.2.40001", "10.98.0.1.7000");
        assert.match(partial, /options \[mss 1360\]/);
        assert.match(partial, new RegExp(`cksum 0x${field} \\(incorrect`), "field left as it was");
      }
      assert.deepEqual(result.counters, { read: 2, written: mode === "offload" ? 3 : 2 });

      assert.deepEqual(result.filter, {
        packets: 0,
        linkLocal: 1,
        spoofed: 1,
        destination: 1,
        spoofedSource: "10.98.0.9",
      });
    },
  });
}
