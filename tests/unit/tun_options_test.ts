import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { tunOptionsFor } from "../../src/tun/from_config.ts";

const CLIENT = `mode: client
server: vpn.example.com:443
interface: tun1
address: 10.0.0.2/24
security:
  tls:
    cert_file: c.crt
    key_file: c.key
    ca_file: ca.crt
`;

Deno.test("tunOptionsFor() clamps the MSS to what the MTU fits, by default", () => {
  const options = tunOptionsFor(parseConfig(`${CLIENT}network:\n  mtu: 1400\n`, "c.yaml"));
  assert.equal(options.name, "tun1");
  assert.equal(options.mtu, 1400);
  assert.deepEqual(options.mssClamp, { mss4: 1360, mss6: 1340 });
});

Deno.test("tunOptionsFor() leaves SYNs alone with clamp_mss: false", () => {
  const text = `${CLIENT}network:\n  mtu: 1400\n  clamp_mss: false\n`;
  assert.equal(tunOptionsFor(parseConfig(text, "c.yaml")).mssClamp, undefined);
});
