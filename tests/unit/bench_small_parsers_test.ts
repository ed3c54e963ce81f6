import assert from "node:assert/strict";
import { resultFileName } from "../../tools/bench/result_file.ts";
import { parseVnetHdr } from "../../tools/bench/tun_link.ts";

Deno.test("resultFileName() stamps the UTC date and time to the second", () => {
  assert.equal(
    resultFileName(new Date("2026-01-02T03:04:05.678Z")),
    "bench-20260102-030405.json",
  );
  assert.throws(() => resultFileName(new Date("nope")), RangeError);
});

Deno.test("parseVnetHdr() reads the offload flag from ip -details link output", () => {
  const line = (state: string) =>
    `3: tun0: <POINTOPOINT,UP> mtu 1500\n    link/none\n    tun type tun pi off vnet_hdr ${state} persist off\n`;
  assert.equal(parseVnetHdr(line("on")), true);
  assert.equal(parseVnetHdr(line("off")), false);
  assert.equal(parseVnetHdr('Device "tun0" does not exist.\n'), undefined);
});
