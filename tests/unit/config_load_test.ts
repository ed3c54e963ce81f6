import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";

const CONFIGS = new URL("../../configs/", import.meta.url);

/** A temporary copy of configs/ with fake certificate files; removed on disposal. */
async function deployment(options: { withCerts?: readonly string[] } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "sssonector-config-" });
  for (const name of ["server.yaml", "client.yaml"]) {
    await Deno.copyFile(new URL(name, CONFIGS), join(dir, name));
  }
  await Deno.mkdir(join(dir, "certs"));
  const certs = options.withCerts ??
    ["ca.crt", "server.crt", "server.key", "client.crt", "client.key"];
  for (const name of certs) await Deno.writeTextFile(join(dir, "certs", name), "fake PEM\n");
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function refusedLoad(path: string): Promise<ConfigError> {
  const error = await loadConfig(path).then(
    () => assert.fail("expected loadConfig to throw a ConfigError"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
  return error;
}

Deno.test("loadConfig() loads configs/server.yaml with its certificates beside it", async () => {
  await using deploy = await deployment();
  const config = await loadConfig(join(deploy.dir, "server.yaml"));
  assert.ok(config.mode === "server");
  assert.deepEqual(config.listen, { host: "0.0.0.0", port: 443 });
  assert.equal(config.security.tls.certFile, join(deploy.dir, "certs/server.crt"));
  assert.equal(config.logging.file, "/var/log/sssonector.log");
  assert.ok(Object.isFrozen(config));
});

Deno.test("loadConfig() loads configs/client.yaml with its certificates beside it", async () => {
  await using deploy = await deployment();
  const config = await loadConfig(join(deploy.dir, "client.yaml"));
  assert.ok(config.mode === "client");
  assert.deepEqual(config.server, { host: "192.0.2.1", port: 443 });
  assert.equal(config.security.tls.keyFile, join(deploy.dir, "certs/client.key"));
  assert.equal(config.security.tls.caFile, join(deploy.dir, "certs/ca.crt"));
  assert.deepEqual(config.monitoring, { enabled: false, address: "127.0.0.1", port: 9090 });
});

Deno.test("loadConfig() names every missing certificate file with its path and line", async () => {
  await using deploy = await deployment({ withCerts: ["server.crt"] });
  const error = await refusedLoad(join(deploy.dir, "server.yaml"));
  assert.deepEqual(error.problems, [
    {
      path: "security.tls.key_file",
      line: 18,
      message: `cannot read ${join(deploy.dir, "certs/server.key")}: not found`,
    },
    {
      path: "security.tls.ca_file",
      line: 19,
      message: `cannot read ${join(deploy.dir, "certs/ca.crt")}: not found`,
    },
  ]);
  assert.match(
    error.format(),
    /server\.yaml: security\.tls\.key_file \(line 18\): cannot read .*server\.key: not found/,
  );
});

Deno.test("loadConfig() refuses a certificate path that is a folder or an empty file", async () => {
  await using deploy = await deployment();
  await Deno.remove(join(deploy.dir, "certs/server.crt"));
  await Deno.mkdir(join(deploy.dir, "certs/server.crt"));
  await Deno.writeTextFile(join(deploy.dir, "certs/ca.crt"), "");
  const error = await refusedLoad(join(deploy.dir, "server.yaml"));
  assert.deepEqual(error.problems.map((p) => [p.path, p.message.split(": ").at(-1)]), [
    ["security.tls.cert_file", "it is a folder, not a file"],
    ["security.tls.ca_file", "the file is empty"],
  ]);
});

Deno.test("loadConfig() reports an unreadable certificate as permission denied", {
  ignore: Deno.uid() === 0, // root reads any file
}, async () => {
  await using deploy = await deployment();
  await Deno.chmod(join(deploy.dir, "certs/server.key"), 0o000);
  const error = await refusedLoad(join(deploy.dir, "server.yaml"));
  assert.equal(error.problems.length, 1);
  assert.match(error.problems[0]?.message ?? "", /server\.key: permission denied$/);
});

Deno.test("loadConfig() reports a missing configuration file by the name it was given", async () => {
  await using deploy = await deployment();
  const path = join(deploy.dir, "nope.yaml");
  const error = await refusedLoad(path);
  assert.deepEqual(error.problems, [
    { path: "", message: "cannot read the configuration file: not found" },
  ]);
  assert.equal(error.format(), `${path}: cannot read the configuration file: not found`);
});

Deno.test("loadConfig() reports validation problems and missing certificates together", async () => {
  await using deploy = await deployment({ withCerts: [] });
  const path = join(deploy.dir, "server.yaml");
  await Deno.writeTextFile(path, (await Deno.readTextFile(path)).replace("mtu: 1500", "mtu: 1"));
  const error = await refusedLoad(path);
  assert.deepEqual(error.problems.map((p) => p.path), [
    "network.mtu",
    "security.tls.cert_file",
    "security.tls.key_file",
    "security.tls.ca_file",
  ]);
});

Deno.test("loadConfig() resolves certificate paths against the config file, not the working folder", async () => {
  await using deploy = await deployment();
  const nested = join(deploy.dir, "etc");
  await Deno.mkdir(nested);
  const text = await Deno.readTextFile(join(deploy.dir, "server.yaml"));
  await Deno.writeTextFile(join(nested, "server.yaml"), text.replaceAll("certs/", "../certs/"));
  const config = await loadConfig(join(nested, "server.yaml"));
  assert.equal(config.security.tls.certFile, join(deploy.dir, "certs/server.crt"));
});

Deno.test("loadConfig() reports a bad key and a missing certificate file in the same run", async () => {
  await using deploy = await deployment({ withCerts: ["ca.crt", "server.key"] });
  const path = join(deploy.dir, "server.yaml");
  await Deno.writeTextFile(
    path,
    (await Deno.readTextFile(path)).replace("mtu: 1500", "mtuu: 1500"),
  );
  const error = await refusedLoad(path);
  assert.deepEqual(error.problems.map((problem) => problem.path), [
    "network.mtuu",
    "security.tls.cert_file",
  ]);
  assert.match(error.problems[0]!.message, /did you mean "mtu"/);
  assert.match(error.problems[1]!.message, /certs\/server\.crt: not found/);
});
