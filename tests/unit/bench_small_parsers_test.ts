import assert from "node:assert/strict";
import { interfaceName, setNetworkOffload } from "../../src/bench/config_yaml.ts";
import { resultFileName } from "../../src/bench/result_file.ts";
import { parseVnetHdr } from "../../src/bench/tun_link.ts";

const LAB_YAML = `mode: server
listen: 198.18.0.1:443
address: 10.0.0.1/24
interface: tun0
network:
  mtu: 1500
logging:
  level: info
`;

Deno.test("setNetworkOffload() adds the key to the network block, keeping its indentation", () => {
  const yaml = setNetworkOffload(LAB_YAML, false);
  assert.ok(yaml.includes("network:\n  offload: false\n  mtu: 1500\nlogging:\n  level: info\n"));
  assert.equal(yaml.replace("  offload: false\n", ""), LAB_YAML);
});

Deno.test("setNetworkOffload() replaces an offload key already there", () => {
  const once = setNetworkOffload(LAB_YAML, true);
  const twice = setNetworkOffload(once, false);
  assert.equal(twice.match(/offload:/g)?.length, 1);
  assert.match(twice, /^ {2}offload: false$/m);
});

Deno.test("setNetworkOffload() refuses a configuration without a network block", () => {
  assert.throws(() => setNetworkOffload("mode: server\n", true), SyntaxError);
});

Deno.test("interfaceName() reads the interface key, tun0 when absent", () => {
  assert.equal(interfaceName(LAB_YAML), "tun0");
  assert.equal(interfaceName('interface: "vpn7" # comment\n'), "vpn7");
  assert.equal(interfaceName("mode: client\n"), "tun0");
});

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
