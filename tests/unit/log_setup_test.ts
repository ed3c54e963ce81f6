import assert from "node:assert/strict";
import { join } from "node:path";
import { getConfig } from "@logtape/logtape";
import { getLogger, setupLogging } from "../../src/log/setup.ts";

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) [\w.]+: .*$/;

async function tempLogFile() {
  const dir = await Deno.makeTempDir({ prefix: "sssonector-log-" });
  return {
    file: join(dir, "sssonector.log"),
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function readLines(file: string): Promise<string[]> {
  return (await Deno.readTextFile(file)).split("\n").filter((line) => line !== "");
}

Deno.test("setupLogging() writes timestamped lines with level and category to the log file", async () => {
  await using log = await tempLogFile();
  {
    await using _logging = await setupLogging({ level: "info", file: log.file });
    getLogger("session").info("client {ip} connected", { ip: "10.0.0.2" });
    getLogger("transport.tls").error("handshake failed");
  }
  const lines = await readLines(log.file);
  assert.equal(lines.length, 2);
  for (const line of lines) assert.match(line, LINE);
  assert.match(lines[0] ?? "", /Z INFO {2}session: client 10\.0\.0\.2 connected$/);
  assert.match(lines[1] ?? "", /Z ERROR transport\.tls: handshake failed$/);
});

Deno.test("setupLogging() drops debug lines at level info", async () => {
  await using log = await tempLogFile();
  {
    await using _logging = await setupLogging({ level: "info", file: log.file });
    const logger = getLogger("session");
    logger.debug("packet details");
    logger.info("connected");
  }
  const lines = await readLines(log.file);
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? "", /INFO {2}session: connected$/);
});

Deno.test("setupLogging() keeps debug lines at level debug", async () => {
  await using log = await tempLogFile();
  {
    await using _logging = await setupLogging({ level: "debug", file: log.file });
    getLogger("session").debug("packet details");
  }
  assert.match((await readLines(log.file))[0] ?? "", /DEBUG session: packet details$/);
});

Deno.test("setupLogging() at level warning keeps warnings and errors only", async () => {
  await using log = await tempLogFile();
  {
    await using _logging = await setupLogging({ level: "warning", file: log.file });
    const logger = getLogger("client");
    logger.info("dialing");
    logger.warn("retrying in 2 s");
    logger.error("gave up");
  }
  const lines = await readLines(log.file);
  assert.deepEqual(lines.map((line) => line.slice(25)), [
    "WARN  client: retrying in 2 s",
    "ERROR client: gave up",
  ]);
});

Deno.test("setupLogging() appends to an existing log file", async () => {
  await using log = await tempLogFile();
  await Deno.writeTextFile(log.file, "earlier line\n");
  {
    await using _logging = await setupLogging({ level: "info", file: log.file });
    getLogger("server").info("started");
  }
  const lines = await readLines(log.file);
  assert.equal(lines[0], "earlier line");
  assert.match(lines[1] ?? "", /INFO {2}server: started$/);
});

Deno.test("setupLogging() creates a missing log file readable by owner and group only", async () => {
  await using log = await tempLogFile();
  {
    await using _logging = await setupLogging({ level: "info", file: log.file });
  }
  const mode = (await Deno.stat(log.file)).mode ?? 0;
  assert.equal(mode & 0o600, 0o600, "owner can read and write");
  assert.equal(mode & ~0o640 & 0o777, 0, `no more than 0640, got ${(mode & 0o777).toString(8)}`);
});

Deno.test("setupLogging() keeps each record on one line", async () => {
  await using log = await tempLogFile();
  {
    await using _logging = await setupLogging({ level: "info", file: log.file });
    getLogger("session").error("peer sent {name}: {error}", {
      name: "evil\nFAKE 2026-01-01T00:00:00.000Z INFO  x: injected",
      error: new Error("bad frame"),
    });
  }
  const lines = await readLines(log.file);
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? "", /ERROR session: peer sent evil\\nFAKE .*: Error: bad frame$/);
});

Deno.test("disposing the logging handle flushes, closes the file and resets LogTape", async () => {
  await using log = await tempLogFile();
  const logging = await setupLogging({ level: "info", file: log.file });
  for (let i = 0; i < 100; i++) getLogger("bulk").info("line {i}", { i });
  await logging[Symbol.asyncDispose]();
  assert.equal(getConfig(), null);
  assert.equal((await readLines(log.file)).length, 100);
  getLogger("bulk").info("after reset");
  assert.equal((await readLines(log.file)).length, 100);
});

Deno.test("setupLogging() names the log file it cannot open", async () => {
  await using log = await tempLogFile();
  const file = join(log.dir, "missing-folder", "x.log");
  await assert.rejects(() => setupLogging({ level: "info", file }), {
    message: `Cannot open the log file ${file}: its folder does not exist`,
  });
});

Deno.test("setupLogging() without a file writes to stdout and leaves stdout open", async () => {
  {
    await using _logging = await setupLogging({ level: "error" });
    getLogger("test").info("dropped at level error");
  }
  const writer = Deno.stdout.writable.getWriter();
  writer.releaseLock();
});

Deno.test("setupLogging() puts each line in the file before the log call returns", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/live.log`;
  const handle = await setupLogging({ level: "info", file });
  try {
    getLogger("live").info("first line");
    assert.match(await Deno.readTextFile(file), /INFO {2}live: first line\n$/);
  } finally {
    await handle[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
