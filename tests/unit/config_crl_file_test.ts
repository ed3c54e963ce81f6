import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../../src/config/errors.ts";
import { formatEffectiveConfig } from "../../src/config/format.ts";
import { loadConfig } from "../../src/config/load.ts";
import { parseConfig } from "../../src/config/parse.ts";

const CLIENT = `mode: client
server: 192.0.2.1:443
address: 10.0.0.2/24
security:
  tls:
    cert_file: certs/client.crt
    key_file: certs/client.key
    ca_file: certs/ca.crt
`;

Deno.test("parseConfig() reads the optional security.tls.crl_file relative to the file", () => {
  const without = parseConfig(CLIENT, "/etc/sss/client.yaml");
  assert.equal(without.security.tls.crlFile, undefined);
  assert.ok(!("crlFile" in without.security.tls));
  const withCrl = parseConfig(`${CLIENT}    crl_file: certs/ca.crl\n`, "/etc/sss/client.yaml");
  assert.equal(withCrl.security.tls.crlFile, "/etc/sss/certs/ca.crl");
  assert.match(formatEffectiveConfig(withCrl), /\n {4}crl_file: \/etc\/sss\/certs\/ca\.crl\n/);
  assert.deepEqual(parseConfig(formatEffectiveConfig(withCrl), "/etc/sss/client.yaml"), withCrl);
});

Deno.test("parseConfig() refuses an empty crl_file with its line", () => {
  assert.throws(() => parseConfig(`${CLIENT}    crl_file: ""\n`, "/c.yaml"), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems[0]?.path, "security.tls.crl_file");
    assert.equal(error.problems[0]?.line, 9);
    return true;
  });
});

Deno.test("loadConfig() names an unreadable crl_file with its line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sssonector-crl-config-" });
  try {
    await Deno.mkdir(join(dir, "certs"));
    for (const name of ["client.crt", "client.key", "ca.crt"]) {
      await Deno.writeTextFile(join(dir, "certs", name), "fake PEM\n");
    }
    const path = join(dir, "client.yaml");
    await Deno.writeTextFile(path, `${CLIENT}    crl_file: certs/ca.crl\n`);
    const error = await loadConfig(path).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [{
      path: "security.tls.crl_file",
      line: 9,
      message: `cannot read ${join(dir, "certs/ca.crl")}: not found`,
    }]);
    await Deno.writeTextFile(join(dir, "certs", "ca.crl"), "fake PEM\n");
    assert.equal((await loadConfig(path)).security.tls.crlFile, join(dir, "certs/ca.crl"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
